import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { FileChange, SnapshotSide } from '../../services/agents/fileSnapshots';
import { ClaudeManagerError } from '../../services/errors';
import type { Services } from '../services';
import { registerCommand } from './registerCommand';

/** Read-only documents of a file as a tool call found it (`before`) and left it (`after`). */
export const FILE_CHANGE_SCHEME = 'claude-manager-change';

type Side = 'before' | 'after';

/** `claude-manager-change:/<agentId>/<messageId>/<side>/<file name>`: the name gives the language. */
function sideUri(agentId: string, messageId: string, side: Side, filePath: string): vscode.Uri {
  return vscode.Uri.from({ scheme: FILE_CHANGE_SCHEME, path: `/${agentId}/${messageId}/${side}/${basename(filePath)}` });
}

function parseSideUri(uri: vscode.Uri): { agentId: string; messageId: string; side: Side } {
  const match = /^\/(ag_[A-Za-z0-9_-]+)\/(msg_[A-Za-z0-9_-]+)\/(before|after)\//.exec(uri.path);
  if (!match) throw new ClaudeManagerError('INVALID_INPUT', `${uri.toString()} is not a file change this extension made.`);
  return { agentId: match[1]!, messageId: match[2]!, side: match[3] as Side };
}

function sideText(side: SnapshotSide | undefined): string {
  return side?.state === 'file' ? side.content : '';
}

/** Why a change cannot be shown as a diff, or undefined when it can. */
function unshowable(change: FileChange): string | undefined {
  const name = basename(change.filePath);
  if (change.gone) return `The copies of ${name || 'the file'} before and after ${change.toolName} are gone: ${change.gone}.`;
  if (!change.before) return `The content of ${name} before ${change.toolName} was not kept.`;
  if (!change.after) return `${change.toolName} did not finish changing ${name}: there is no "after" to compare.`;
  for (const side of ['before', 'after'] as const) {
    const s = change[side];
    if (s?.state === 'unavailable') return `${name} ${side === 'before' ? 'before' : 'after'} ${change.toolName} was not kept: ${s.reason}.`;
  }
  return undefined;
}

/**
 * "Open Diff" of a chat's file tool call: VS Code's diff editor on the file as the call found it
 * and as it left it, both read-only, from what the runtime kept (see `FileSnapshots`).
 */
export function registerFileChangeCommands(log: vscode.LogOutputChannel, services: () => Promise<Services>, testMode: boolean): vscode.Disposable[] {
  const provider: vscode.TextDocumentContentProvider = {
    async provideTextDocumentContent(uri) {
      const { agentId, messageId, side } = parseSideUri(uri);
      const change = await (await services()).runtime.getFileChange(agentId, messageId);
      return sideText(change[side]);
    },
  };
  return [
    vscode.workspace.registerTextDocumentContentProvider(FILE_CHANGE_SCHEME, provider),
    registerCommand('claudeManager.openFileChange', log, async (arg?: { agentId?: unknown; messageId?: unknown; beside?: unknown }) => {
      if (typeof arg?.agentId !== 'string' || typeof arg.messageId !== 'string') {
        throw new ClaudeManagerError('INVALID_INPUT', 'Open Diff needs an agent and one of its tool messages: use it from a tool card in the chat.');
      }
      const { agentId, messageId } = arg as { agentId: string; messageId: string };
      const change = await (await services()).runtime.getFileChange(agentId, messageId);
      const why = unshowable(change);
      if (why) {
        void vscode.window.showWarningMessage(why);
        return testMode ? { shown: false, reason: why } : undefined;
      }
      const left = sideUri(agentId, messageId, 'before', change.filePath);
      const right = sideUri(agentId, messageId, 'after', change.filePath);
      const name = basename(change.filePath);
      const created = change.before?.state === 'absent';
      const title = created ? `${name} (created by ${change.toolName})` : `${name} (before ↔ after ${change.toolName})`;
      // From a chat, beside it: the conversation stays in view next to the change.
      await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: true, ...(arg.beside === true ? { viewColumn: vscode.ViewColumn.Beside } : {}) });
      return testMode ? { shown: true, left: left.toString(), right: right.toString(), title } : undefined;
    }),
  ];
}
