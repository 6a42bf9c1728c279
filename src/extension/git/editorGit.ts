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
  readonly onDidChangeEnablement: vscode.Event<boolean>;
  getAPI(version: 1): GitApi;
}

/** A repository the editor has open. */
export interface EditorRepository {
  readonly rootUri: vscode.Uri;
  readonly name: string;
}

/** How long the tree waits for the git extension's first list before showing why it is empty. */
const READY_TIMEOUT_MS = 30_000;

/** Context key the welcome views read: set while the editor's Git is missing or turned off. */
export const GIT_UNAVAILABLE_CONTEXT = 'claudeManager.gitUnavailable';

/**
 * The repositories the editor's git extension knows, kept live. The git extension activates on
 * its own schedule, so `ready` resolves once it has reported its first state, or turned out to be
 * missing, disabled or stuck; then the list stays empty and `unavailableReason` says why.
 */
export class EditorRepositories implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  private apiSubscriptions: vscode.Disposable[] = [];
  private api: GitApi | undefined;
  private reason: string | undefined;
  readonly ready: Promise<void>;

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.ready = this.start().catch((error: unknown) => {
      this.setUnavailable(`the Git extension failed to start: ${(error as Error).message}`);
    });
  }

  /** Why no repositories can be listed, when that is so. */
  get unavailableReason(): string | undefined {
    return this.reason;
  }

  get repositories(): EditorRepository[] {
    return (this.api?.repositories ?? [])
      .map((r) => ({ rootUri: r.rootUri, name: r.rootUri.path.split('/').filter(Boolean).pop() ?? r.rootUri.path }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.rootUri.path.localeCompare(b.rootUri.path));
  }

  private async start(): Promise<void> {
    const extension = vscode.extensions.getExtension<GitExtensionExports>('vscode.git');
    if (!extension) {
      this.setUnavailable('the built-in Git extension is not installed or is disabled');
      return;
    }
    const exports = extension.isActive ? extension.exports : await extension.activate();
    // Users turn "git.enabled" on and off while the editor runs.
    this.disposables.push(exports.onDidChangeEnablement((enabled) => void this.connect(exports, enabled)));
    await this.connect(exports, exports.enabled);
  }

  private async connect(exports: GitExtensionExports, enabled: boolean): Promise<void> {
    vscode.Disposable.from(...this.apiSubscriptions.splice(0)).dispose();
    this.api = undefined;
    if (!enabled) {
      this.setUnavailable('Git is turned off ("git.enabled")');
      this.emitter.fire();
      return;
    }
    const api = exports.getAPI(1);
    const changed = (): void => this.emitter.fire();
    this.apiSubscriptions.push(api.onDidOpenRepository(changed), api.onDidCloseRepository(changed), api.onDidChangeState(changed));
    if (api.state !== 'initialized' && !(await this.initialized(api))) {
      this.setUnavailable(`Git did not list its repositories within ${READY_TIMEOUT_MS / 1000} s`);
      // Keep listening: when Git does initialise, the tree fills in.
      this.apiSubscriptions.push(api.onDidChangeState((s) => s === 'initialized' && this.setAvailable(api)));
      return;
    }
    this.setAvailable(api);
  }

  private initialized(api: GitApi): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        sub.dispose();
        resolve(false);
      }, READY_TIMEOUT_MS);
      const sub = api.onDidChangeState((state) => {
        if (state === 'initialized') {
          clearTimeout(timer);
          sub.dispose();
          resolve(true);
        }
      });
    });
  }

  private setAvailable(api: GitApi): void {
    this.api = api;
    this.reason = undefined;
    void vscode.commands.executeCommand('setContext', GIT_UNAVAILABLE_CONTEXT, false);
    this.log.info(`Repositories from the editor: ${api.repositories.length} open`);
    this.emitter.fire();
  }

  private setUnavailable(reason: string): void {
    this.reason = reason;
    void vscode.commands.executeCommand('setContext', GIT_UNAVAILABLE_CONTEXT, true);
    this.log.warn(`Repositories from the editor: ${reason}`);
  }

  dispose(): void {
    vscode.Disposable.from(...this.apiSubscriptions.splice(0), ...this.disposables.splice(0)).dispose();
  }
}
