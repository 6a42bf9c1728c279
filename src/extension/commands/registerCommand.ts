import * as vscode from 'vscode';
import { isClaudeManagerError } from '../../services/errors';
import type { CommandId } from './commandIds';

/**
 * Registers a command through one wrapper: each run is logged, and a failure becomes one clear
 * error message instead of an unhandled rejection.
 */
export function registerCommand<Args extends unknown[], R>(
  id: CommandId,
  log: vscode.LogOutputChannel,
  handler: (...args: Args) => R | Promise<R>,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: Args) => {
    log.trace(`command ${id}`);
    try {
      return await handler(...args);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.error(`command ${id} failed: ${isClaudeManagerError(error) ? `[${error.code}] ` : ''}${message}`);
      // Where the error says what to do, the message offers to do it.
      const untrusted = isClaudeManagerError(error) && error.code === 'UNTRUSTED_WORKSPACE';
      const actions = untrusted ? ['Manage Workspace Trust', 'Show Log'] : ['Show Log'];
      // Not awaited: the command is over; the message stays until the user closes it.
      void vscode.window.showErrorMessage(`Claude Manager: ${message}`, ...actions).then((choice) => {
        if (choice === 'Show Log') log.show(true);
        if (choice === 'Manage Workspace Trust') void vscode.commands.executeCommand('workbench.trust.manage');
      });
      return undefined;
    }
  });
}
