import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { ProposedChange } from '../../services/agents/proposedChange';

/** Read-only documents of a file as it is now (`now`) and as a waiting tool call would leave it (`proposed`). */
export const PROPOSED_CHANGE_SCHEME = 'claude-manager-proposed';

type Side = 'now' | 'proposed';

/** `claude-manager-proposed:/<agentId>/<requestId>/<side>/<file name>`: the name gives the language. */
function sideUri(agentId: string, requestId: string, side: Side, filePath: string): vscode.Uri {
  return vscode.Uri.from({ scheme: PROPOSED_CHANGE_SCHEME, path: `/${agentId}/${encodeURIComponent(requestId)}/${side}/${basename(filePath) || 'file'}` });
}

/**
 * "Open Diff" on a permission request's card: the diff editor on the file as it is now (empty for
 * a new file) and as the tool would leave it, both read-only, from what the chat worked out. The
 * texts are held while their documents are open; opening the diff again updates them in place.
 */
export class ProposedDiffs implements vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private readonly disposables: vscode.Disposable[];

  constructor() {
    this.disposables = [
      this.changed,
      vscode.workspace.registerTextDocumentContentProvider(PROPOSED_CHANGE_SCHEME, {
        onDidChange: this.changed.event,
        provideTextDocumentContent: (uri) => this.texts.get(uri.toString()) ?? 'This proposed change is no longer held: use Open Diff on the request in the chat again.',
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        if (doc.uri.scheme === PROPOSED_CHANGE_SCHEME) this.texts.delete(doc.uri.toString());
      }),
    ];
  }

  /** Opens the diff beside the chat; returns what it opened. */
  async open(agent: { id: string; name: string }, requestId: string, change: Extract<ProposedChange, { after: string }>): Promise<{ left: vscode.Uri; right: vscode.Uri; title: string }> {
    const left = sideUri(agent.id, requestId, 'now', change.filePath);
    const right = sideUri(agent.id, requestId, 'proposed', change.filePath);
    for (const [uri, text] of [
      [left, change.before],
      [right, change.after],
    ] as const) {
      const known = this.texts.get(uri.toString());
      this.texts.set(uri.toString(), text);
      if (known !== undefined && known !== text) this.changed.fire(uri);
    }
    const title = `${basename(change.filePath)} (${change.isNew ? 'new, ' : ''}proposed by ${agent.name})`;
    await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: true, viewColumn: vscode.ViewColumn.Beside });
    return { left, right, title };
  }

  dispose(): void {
    vscode.Disposable.from(...this.disposables.splice(0)).dispose();
    this.texts.clear();
  }
}
