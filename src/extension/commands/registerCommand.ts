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
      // Not awaited: the command is over; the message stays until the user closes it.
      void vscode.window.showErrorMessage(`Claude Manager: ${message}`, 'Show Log').then((choice) => {
        if (choice === 'Show Log') log.show(true);
      });
      return undefined;
    }
  });
}
