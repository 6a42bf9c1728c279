import * as vscode from 'vscode';
import type { Agent } from '../../services/agents/agentRuntime';
import { ClaudeManagerError } from '../../services/errors';
import { tokensAndCost } from '../../services/storage/usageRepository';
import { FILE_TOOLS } from '../../services/agents/fileTools';
import { rankPaths } from '../../services/agents/pathCompletion';
import { previewOf, ProposedChanges } from '../../services/agents/proposedChange';
import type { ChatAgent, ChatChange, ChatOpened, RequestParams } from '../../webview/protocol';
import { ProposedDiffs } from '../commands/proposedDiffs';
import type { Services } from '../services';
import { chatMessage, chatPageOf, type FileChanges, type ImageSrc } from './chatMessages';
import { chatQueued, queueRequests } from './chatQueue';
import { buildWebviewHtml, webviewResourceRoots } from './webviewHtml';
import { followPanel, protocol, WebviewHost } from './webviewHost';

const VIEW_TYPE = 'claudeManager.chat';

export interface ChatPanelsDeps {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  services: () => Promise<Services>;
}

/** The models the chat's selector offers: the CLI's aliases for the current models. */
const MODELS = ['opus', 'sonnet', 'haiku'];

/** A first page larger than this (long tool outputs) is read again with fewer messages (see `ChatPanel.opened`). */
const MAX_PAGE_CHARS = 2_000_000;
/** The sizes of the first page tried, largest first (undefined: the store's default). */
const FIRST_PAGE_LIMITS = [undefined, 10, 1] as const;

/** How long a worktree's file list is reused for `@` completions. */
const FILES_TTL_MS = 10_000;

/** One agent's chat: its panel, the message host that serves it, and its agent's events. */
export class ChatPanel implements vscode.Disposable {
  readonly host: WebviewHost;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly offs: (() => void)[] = [];
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;
  /** The first page's messages, read from the moment the panel was made. */
  private prefetched: ReturnType<Services['runtime']['getMessages']> | undefined;
  /** When the page the panel holds was made: its id (a page drawn before knows itself by it). */
  private openedAt = 0;
  /** A new page being made. */
  private building: Promise<void> | undefined;
  private disposed = false;
  /** The agent's tool messages whose file change was kept or dropped (read again after each file tool). */
  private fileChanges: Promise<FileChanges> | undefined;
  /** The worktree's files for `@` completions, and when they were listed. */
  private files: { at: number; paths: Promise<string[]> } | undefined;
  /** The agent's worktree (it never changes for an agent). */
  private worktree: Promise<string> | undefined;
  /** The changes the waiting file tools would make, shown on their cards. */
  private readonly proposed = new ProposedChanges(() => this.worktreePath());
  /** The agent's changes for the webview, in the order they happened (each waits for its file tools' changes). */
  private agentViews: Promise<void> = Promise.resolve();
  /** The webview URIs of the agent's images, once the panel may load them (see `allowImages`). */
  private imageSrc: ImageSrc | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly agentId: string,
    private readonly deps: ChatPanelsDeps,
    private readonly diffs: ProposedDiffs,
  ) {
    const { context, log } = deps;
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'claude-manager.svg');
    panel.webview.options = { enableScripts: true, localResourceRoots: webviewResourceRoots(context.extensionUri) };
    // Every request names the agent; a panel answers only for its own.
    const mine = <P extends { agentId: string }>(params: P): P => {
      if (params.agentId !== agentId) throw new ClaudeManagerError('INVALID_INPUT', `This chat belongs to agent ${agentId}, not ${params.agentId}.`);
      return params;
    };
    this.host = new WebviewHost(
      panel.webview,
      {
        chatPage: async (p) => {
          const services = await deps.services();
          const [page, changes] = await Promise.all([services.runtime.getMessages(mine(p).agentId, { before: p.before, ...(p.limit ? { limit: p.limit } : {}) }), this.changes(services)]);
          return chatPageOf(page, changes, this.imageSrc);
        },
        chatSetModel: async (p) => {
          await (await deps.services()).runtime.update(mine(p).agentId, { model: p.model });
          return {};
        },
        chatOpenDiff: async (p) => {
          await vscode.commands.executeCommand('claudeManager.openFileChange', { agentId: mine(p).agentId, messageId: p.messageId, beside: true });
          return {};
        },
        chatOpenProposedDiff: async (p) => {
          const services = await deps.services();
          const agent = await services.runtime.get(mine(p).agentId);
          const request = agent.pendingPermissions.find((r) => r.requestId === p.requestId);
          if (!request) throw new ClaudeManagerError('NO_PENDING_PERMISSION', `No permission request ${p.requestId} is waiting for ${agent.name}: it was answered or withdrawn.`);
          // Worked out afresh: the diff editor shows the file as it is at this moment.
          const change = await this.proposed.get(request, { fresh: true });
          if (!change) throw new ClaudeManagerError('INVALID_INPUT', `Open Diff shows a Write, Edit or MultiEdit; this request is for ${request.toolName}.`);
          if ('problem' in change) throw new ClaudeManagerError('INVALID_INPUT', change.problem);
          await this.diffs.open(agent, request.requestId, change);
          return {};
        },
        chatFiles: async (p) => {
          mine(p);
          // Listing the files runs git, which runs what the repository's settings name: not here.
          if (!vscode.workspace.isTrusted) return { paths: [] };
          const services = await deps.services();
          if (!this.files || Date.now() - this.files.at > FILES_TTL_MS) {
            const paths = this.worktreePath().then((path) => services.git.listFiles(path));
            this.files = { at: Date.now(), paths };
            paths.catch(() => (this.files = undefined));
          }
          return { paths: rankPaths(await this.files.paths, p.query) };
        },
        chatFind: async (p) => (await deps.services()).runtime.searchMessages(mine(p).agentId, p.query),
        chatSend: async (p) => (await deps.services()).runtime.sendMessage(mine(p).agentId, p.text, p.images ? { images: p.images } : {}),
        ...queueRequests(deps.services, mine),
        chatInterrupt: async (p) => {
          await (await deps.services()).runtime.interrupt(mine(p).agentId);
          return {};
        },
        chatRespond: async (p: RequestParams<'chatRespond'>) => {
          const { requestId, behavior, message, always, suggestion, answers } = mine(p);
          await (await deps.services()).runtime.respondToPermission(agentId, requestId, {
            behavior,
            ...(message ? { message } : {}),
            ...(always ? { always } : {}),
            ...(suggestion !== undefined ? { suggestion } : {}),
            ...(answers ? { answers } : {}),
          });
          return {};
        },
        chatSetMode: async (p) => {
          await (await deps.services()).runtime.setMode(mine(p).agentId, p.mode);
          return {};
        },
        chatStart: async (p) => {
          await (await deps.services()).runtime.start(mine(p).agentId);
          return {};
        },
      },
      {
        log: ({ level, message }) => log[level](`chat ${agentId}: ${message}`),
        copy: ({ text }) => void vscode.env.clipboard.writeText(text),
        // A page whose snapshot is old (loaded again) or that could not read the conversation. Even
        // when a newer page was given since, the page that asks is the one shown: it gets another.
        chatReload: ({ openedAt }) => {
          log.info(`chat ${agentId}: a new page was asked for by the page of ${new Date(openedAt).toISOString()}`);
          void this.newPage();
        },
      },
      log,
    );
    this.prefetched = deps.services().then((services) => services.runtime.getMessages(agentId));
    this.prefetched.catch(() => undefined);
    this.disposables.push(
      this.host,
      this.disposeEmitter,
      ...followPanel(panel, this.host, () => this.dispose()),
      // A hidden webview is torn down and loads its page again when shown: the page it will load
      // holds the conversation as it is when hidden, and what changes after is held for it.
      panel.onDidChangeViewState(({ webviewPanel }) => {
        if (!webviewPanel.visible) void this.newPage();
      }),
    );
    void this.start();
  }

  /**
   * Follows the agent, reads the conversation, and gives the webview its page with the
   * conversation in it: the webview draws it as its script starts, with no round trip (measured
   * under load, a round trip to the host took 45–110 ms after the script started, more than the
   * whole first draw). Changes from the moment the panel follows are held for the webview and come
   * after, so they are never older than that snapshot.
   */
  private async start(): Promise<void> {
    await this.follow();
    await this.newPage();
  }

  /**
   * Gives the panel a page with the conversation as it is now (one at a time: a page asked for
   * while one is being made is that one). What changes from here on is held until the page's
   * script is ready.
   */
  private newPage(): Promise<void> {
    this.building ??= (async () => {
      this.host.reset();
      const openedAt = Math.max(Date.now(), this.openedAt + 1);
      const prefetched = this.prefetched;
      this.prefetched = undefined;
      let init: { opened: ChatOpened } | { error: string };
      try {
        // Checked against the protocol here: the page takes it as typed.
        init = { opened: protocol().chatOpened.parse(await this.opened(prefetched)) };
      } catch (error) {
        this.deps.log.warn(`Chat ${this.agentId}: the conversation could not be read: ${(error as Error).message}`);
        init = { error: `The conversation could not be read: ${(error as Error).message}` };
      }
      if (this.disposed) return;
      this.openedAt = openedAt;
      this.panel.webview.html = buildWebviewHtml(this.panel.webview, this.deps.context.extensionUri, 'chat', 'Chat', { agentId: this.agentId, openedAt, ...init });
    })().finally(() => (this.building = undefined));
    return this.building;
  }

  /** The conversation as the chat opens with it; a latest page too large for the page is read again with fewer messages. */
  async opened(prefetched?: ReturnType<Services['runtime']['getMessages']>): Promise<ChatOpened> {
    for (const limit of FIRST_PAGE_LIMITS) {
      const opened = await this.open(this.agentId, limit === undefined ? prefetched : undefined, limit);
      if (limit === 1 || JSON.stringify(opened).length <= MAX_PAGE_CHARS) return opened;
    }
    throw new Error('unreachable');
  }

  /** Follows the agent: its changes and messages go to the webview; the title shows its status. Resolves once it follows. */
  private async follow(): Promise<void> {
    try {
      const services = await this.deps.services();
      if (this.disposed) return;
      this.allowImages(services);
      this.offs.push(
        services.runtime.onDidChangeAgent((a) => {
          if (a.id !== this.agentId) return;
          this.title(a);
          const view = this.view(services, a);
          this.agentViews = this.agentViews.then(async () => {
            const shown = await view;
            if (!this.disposed) this.host.notify('chatAgent', shown);
          });
        }),
        // Known once the agent has started (before its first turn): a new chat lists them.
        services.runtime.onDidChangeCommands((e) => e.agentId === this.agentId && this.host.notify('chatCommands', e)),
        services.runtime.onDidReceiveMessage((e) => {
          if (e.agentId !== this.agentId) return;
          const m = e.message;
          // A file tool's result: its diff can be offered once the runtime says it kept the file.
          if (m.kind === 'tool' && m.isComplete && m.toolName && FILE_TOOLS.has(m.toolName)) {
            void services.runtime.getFileChange(m.agentId, m.id).then(
              async (change) => {
                // Keeping this one may have dropped older ones (the agent's cap): read again.
                this.fileChanges = undefined;
                if (change.after) (await this.changes(services)).kept.add(m.id);
                if (!this.disposed) this.host.notify('chatMessage', { agentId: m.agentId, message: chatMessage(m, await this.changes(services), this.imageSrc) });
              },
              () => !this.disposed && this.host.notify('chatMessage', { agentId: m.agentId, message: chatMessage(m, undefined, this.imageSrc) }),
            );
            return;
          }
          this.host.notify('chatMessage', { agentId: m.agentId, message: chatMessage(m, undefined, this.imageSrc) });
        }),
        services.runtime.queue.onDidChange((e) => e.agentId === this.agentId && this.host.notify('chatQueue', { agentId: e.agentId, messages: chatQueued(e.messages) })),
      );
      void services.runtime.get(this.agentId).then(
        (a) => this.title(a),
        () => undefined,
      );
      // An agent another window runs streams here while the chat is open (asked of that window).
      void services.runtime.watch(this.agentId).then(
        (release) => (this.disposed ? release() : this.offs.push(release)),
        (error: Error) => this.deps.log.warn(`Chat ${this.agentId}: its window cannot be reached, so the chat does not follow it live: ${error.message}`),
      );
    } catch (error) {
      this.deps.log.warn(`Chat ${this.agentId}: ${(error as Error).message}`);
    }
  }

  /**
   * Lets the webview load the agent's images, and nothing else of the store: its folder of images
   * joins the resource roots, and each image is shown from its file's webview URI (a page of the
   * conversation carries only the references, however large the images).
   */
  private allowImages(services: Services): void {
    const images = services.runtime.images;
    const folder = vscode.Uri.file(images.agentDir(this.agentId));
    this.panel.webview.options = { enableScripts: true, localResourceRoots: [...webviewResourceRoots(this.deps.context.extensionUri), folder] };
    this.imageSrc = (image) => {
      const path = images.pathOf(this.agentId, image);
      return path ? this.panel.webview.asWebviewUri(vscode.Uri.file(path)).toString() : undefined;
    };
  }

  private changes(services: Services): Promise<FileChanges> {
    this.fileChanges ??= Promise.all([services.runtime.fileChangeIds(this.agentId), services.runtime.snapshots?.goneIds(this.agentId) ?? new Set<string>()]).then(
      ([kept, gone]) => ({ kept, gone }),
      (error: unknown) => {
        this.deps.log.warn(`Chat ${this.agentId}: the kept file changes could not be listed: ${(error as Error).message}`);
        return { kept: new Set<string>(), gone: new Set<string>() };
      },
    );
    return this.fileChanges;
  }

  private title(agent: Agent): void {
    // A panel closed meanwhile (its title was still being read) has no title to set: VS Code throws.
    if (this.disposed) return;
    this.panel.title = `${agent.name} · ${agent.status}`;
  }

  /** The agent's worktree, looked up once. */
  private worktreePath(): Promise<string> {
    if (!this.worktree) {
      this.worktree = this.deps.services().then(async (services) => (await services.workspaces.getWorktree((await services.runtime.get(this.agentId)).worktreeId)).path);
      this.worktree.catch(() => (this.worktree = undefined));
    }
    return this.worktree;
  }

  /**
   * The change each waiting file tool would make, for its card; a request whose change cannot be
   * worked out is shown without one. Worked out again only when its file changed (see `ProposedChanges`).
   */
  private async changesOf(requests: Agent['pendingPermissions']): Promise<Map<string, ChatChange>> {
    this.proposed.retain(requests.map((r) => r.requestId));
    const out = new Map<string, ChatChange>();
    await Promise.all(
      requests.map(async (r) => {
        try {
          const change = await this.proposed.get(r);
          if (change) out.set(r.requestId, previewOf(change));
        } catch (error) {
          this.deps.log.warn(`Chat ${this.agentId}: the change of ${r.summary} could not be worked out: ${(error as Error).message}`);
        }
      }),
    );
    return out;
  }

  /** What the chat shows of its agent, with why it cannot take a message now (if it cannot). */
  private async view(services: Services, a: Agent): Promise<ChatAgent> {
    const changes = await this.changesOf(a.pendingPermissions);
    const cwd = a.pendingPermissions.length ? await this.worktreePath().catch(() => undefined) : undefined;
    // Another window's agent takes messages and answers through that window (runtime.sendMessage and the rest ask it).
    const reason = !a.ownedByThisWindow && a.pid === undefined
      ? 'Another window holds it: take it over ("Take Over Agent") to chat here.'
      : services.runtime.inTerminal(a.id)
        ? 'It is open in a terminal: type there, or close the terminal to chat here.'
        : a.deletedAt
          ? 'It is archived: restore it to chat.'
          : !vscode.workspace.isTrusted
            ? 'This workspace is not trusted: trust it to run agents.'
            : undefined;
    return {
      id: a.id,
      name: a.name,
      status: a.status,
      statusReason: a.statusReason,
      contextLevel: a.contextLevel,
      mode: a.mode,
      ...(a.model ? { model: a.model } : {}),
      usage: tokensAndCost(a.usage),
      // The chat's shape only: a suggestion's rule stays here, the webview answers with its index.
      pendingPermissions: a.pendingPermissions.map((r) => ({
        requestId: r.requestId,
        toolName: r.toolName,
        input: r.input,
        summary: r.summary,
        requestedAt: r.requestedAt,
        ...(r.suggestions?.length ? { suggestions: r.suggestions.map((s) => s.label) } : {}),
        ...(r.reason ? { reason: r.reason } : {}),
        ...(cwd ? { cwd } : {}),
        ...(changes.has(r.requestId) ? { change: changes.get(r.requestId)! } : {}),
        ...(r.questions ? { questions: r.questions } : {}),
      })),
      ...(reason ? { inputDisabledReason: reason } : {}),
      ...(a.tasks?.length ? { tasks: a.tasks.map((t) => ({ ...(t.id !== undefined ? { id: t.id } : {}), content: t.content, status: t.status, ...(t.activeForm !== undefined ? { activeForm: t.activeForm } : {}) })) } : {}),
    };
  }

  private async open(agentId: string, prefetched?: ReturnType<Services['runtime']['getMessages']>, limit?: number): Promise<ChatOpened> {
    const services = await this.deps.services();
    const [page, slashCommands, changes, queued] = await Promise.all([
      prefetched ?? services.runtime.getMessages(agentId, limit ? { limit } : {}),
      services.runtime.slashCommands(agentId),
      this.changes(services),
      services.runtime.queue.list(agentId),
    ]);
    // The agent last, so that its state is as new as it can be when the answer goes.
    const agent = await services.runtime.get(agentId);
    return {
      agent: await this.view(services, agent),
      page: chatPageOf(page, changes, this.imageSrc),
      queued: chatQueued(queued),
      slashCommands,
      contextWarningThreshold: services.runtime.contextWarningThreshold(),
      models: MODELS,
    };
  }

  /** Whether the user is looking at this chat now (its notifications are then not needed). */
  get focused(): boolean {
    return this.panel.active && this.panel.visible && vscode.window.state.focused;
  }

  dispose(): void {
    const all = this.disposables.splice(0);
    if (all.length === 0) return;
    this.disposed = true;
    for (const off of this.offs.splice(0)) off();
    this.disposeEmitter.fire();
    this.panel.dispose();
    vscode.Disposable.from(...all).dispose();
  }
}

/**
 * The agents' chat panels: one per agent (opening it again reveals it), brought back after a
 * window reload by a serializer (the webview keeps its agent's id in its state).
 */
export class ChatPanels implements vscode.Disposable {
  private readonly panels = new Map<string, ChatPanel>();
  /** Panels being made: a second open of the same agent meanwhile (a double click) gets the same one. */
  private readonly opening = new Map<string, Promise<ChatPanel>>();
  private readonly disposables: vscode.Disposable[] = [];
  /** The diffs of waiting file tools that the panels open. */
  private readonly diffs = new ProposedDiffs();

  constructor(private readonly deps: ChatPanelsDeps) {
    this.disposables.push(
      this.diffs,
      vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
        deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
          const agentId = (state as { agentId?: unknown } | undefined)?.agentId;
          if (typeof agentId !== 'string' || this.panels.has(agentId) || this.opening.has(agentId)) {
            panel.dispose();
            return;
          }
          try {
            await (await deps.services()).runtime.get(agentId);
          } catch {
            // The agent was deleted meanwhile: nothing to show.
            panel.dispose();
            return;
          }
          this.adopt(panel, agentId);
        },
      }),
    );
  }

  /** Opens the agent's chat, or reveals it when it is open. */
  async open(agentId: string, options: { preserveFocus?: boolean } = {}): Promise<ChatPanel> {
    const open = this.panels.get(agentId);
    if (open) {
      open.panel.reveal(undefined, options.preserveFocus);
      return open;
    }
    const pending = this.opening.get(agentId);
    if (pending) return pending;
    const making = (async () => {
      const agent = await (await this.deps.services()).runtime.get(agentId);
      const panel = vscode.window.createWebviewPanel(VIEW_TYPE, agent.name, { viewColumn: vscode.ViewColumn.Active, preserveFocus: options.preserveFocus ?? false }, {
        enableScripts: true,
        localResourceRoots: webviewResourceRoots(this.deps.context.extensionUri),
      });
      return this.adopt(panel, agentId);
    })().finally(() => this.opening.delete(agentId));
    this.opening.set(agentId, making);
    return making;
  }

  get(agentId: string): ChatPanel | undefined {
    return this.panels.get(agentId);
  }

  /** Whether the agent's chat is the panel the user is looking at. */
  isFocused(agentId: string): boolean {
    return this.panels.get(agentId)?.focused ?? false;
  }

  private adopt(panel: vscode.WebviewPanel, agentId: string): ChatPanel {
    const chat = new ChatPanel(panel, agentId, this.deps, this.diffs);
    this.panels.set(agentId, chat);
    chat.onDidDispose(() => {
      if (this.panels.get(agentId) === chat) this.panels.delete(agentId);
    });
    return chat;
  }

  dispose(): void {
    for (const chat of [...this.panels.values()]) chat.dispose();
    vscode.Disposable.from(...this.disposables.splice(0)).dispose();
  }
}
