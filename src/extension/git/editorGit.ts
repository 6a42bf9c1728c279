import * as vscode from 'vscode';

/**
 * The part of the built-in git extension's API (`vscode.git`, version 1) this extension reads.
 * Declared here by hand so that nothing depends on the editor's internal typings.
 */
interface GitRepository {
  readonly rootUri: vscode.Uri;
}

interface GitApi {
  readonly state: 'uninitialized' | 'initialized';
  readonly onDidChangeState: vscode.Event<'uninitialized' | 'initialized'>;
  readonly repositories: readonly GitRepository[];
  readonly onDidOpenRepository: vscode.Event<GitRepository>;
  readonly onDidCloseRepository: vscode.Event<GitRepository>;
}

interface GitExtensionExports {
  readonly enabled: boolean;
  getAPI(version: 1): GitApi;
}

/** A repository the editor has open. */
export interface EditorRepository {
  readonly rootUri: vscode.Uri;
  readonly name: string;
}

/**
 * The repositories the editor's git extension knows, kept live. The git extension activates on
 * its own schedule, so `ready` resolves once it has reported its first state (or turned out to be
 * missing or disabled, in which case the list stays empty and `unavailableReason` says why).
 */
export class EditorRepositories implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  private api: GitApi | undefined;
  unavailableReason: string | undefined;
  readonly ready: Promise<void>;

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.ready = this.connect().catch((error: unknown) => {
      this.unavailableReason = `the Git extension failed to start: ${(error as Error).message}`;
      this.log.warn(this.unavailableReason);
    });
  }

  get repositories(): EditorRepository[] {
    return (this.api?.repositories ?? [])
      .map((r) => ({ rootUri: r.rootUri, name: r.rootUri.path.split('/').filter(Boolean).pop() ?? r.rootUri.path }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.rootUri.path.localeCompare(b.rootUri.path));
  }

  private async connect(): Promise<void> {
    const extension = vscode.extensions.getExtension<GitExtensionExports>('vscode.git');
    if (!extension) {
      this.unavailableReason = 'the built-in Git extension is not installed';
      this.log.warn(`Repositories from the editor: ${this.unavailableReason}`);
      return;
    }
    const exports = extension.isActive ? extension.exports : await extension.activate();
    if (!exports.enabled) {
      this.unavailableReason = 'Git is disabled ("git.enabled" is off)';
      this.log.info(`Repositories from the editor: ${this.unavailableReason}`);
      return;
    }
    const api = exports.getAPI(1);
    this.api = api;
    const changed = (): void => this.emitter.fire();
    this.disposables.push(
      api.onDidOpenRepository(changed),
      api.onDidCloseRepository(changed),
      api.onDidChangeState(changed),
    );
    if (api.state !== 'initialized') {
      await new Promise<void>((resolve) => {
        const sub = api.onDidChangeState((state) => {
          if (state === 'initialized') {
            sub.dispose();
            resolve();
          }
        });
        this.disposables.push(sub);
      });
    }
    this.log.info(`Repositories from the editor: ${api.repositories.length} open`);
    changed();
  }

  dispose(): void {
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
