import * as vscode from 'vscode';
import type { Agent } from '../../services/agents/agentRuntime';
import { ClaudeManagerError } from '../../services/errors';
import type { StoredMessage } from '../../services/storage/messageStore';
import type { ChatAgent, ChatMessage, RequestParams } from '../../webview/protocol';
import type { Services } from '../services';
import { buildWebviewHtml, webviewResourceRoots } from './webviewHtml';
import { followPanel, WebviewHost } from './webviewHost';

const VIEW_TYPE = 'claudeManager.chat';


export interface ChatPanelsDeps {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  services: () => Promise<Services>;
}

/** The panel's view of a message: the documented fields, nothing of the store's bookkeeping. */
function chatMessage(m: StoredMessage): ChatMessage {
  return {
    id: m.id,
    role: m.role,
    kind: m.kind,
    content: m.content,
    ...(m.toolName !== undefined ? { toolName: m.toolName } : {}),
    ...(m.toolInput !== undefined ? { toolInput: m.toolInput } : {}),
    ...(m.toolOutput !== undefined ? { toolOutput: m.toolOutput } : {}),
    ...(m.isError !== undefined ? { isError: m.isError } : {}),
    isComplete: m.isComplete,
    createdAt: m.createdAt,
  };
}

/** One agent's chat: its panel, the message host that serves it, and its agent's events. */
export class ChatPanel implements vscode.Disposable {
  readonly host: WebviewHost;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly offs: (() => void)[] = [];
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;
  /** The answer to the webview's first chatOpen, fetched while it starts. */
  private prefetched: ReturnType<Services['runtime']['getMessages']> | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly agentId: string,
    private readonly deps: ChatPanelsDeps,
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
        chatOpen: async (p) => {
          mine(p);
          // The first answer was fetched while the webview started; later ones are fresh.
          const page = this.prefetched;
          this.prefetched = undefined;
          return this.open(agentId, page);
        },
        chatPage: async (p) => {
          const page = await (await deps.services()).runtime.getMessages(mine(p).agentId, { before: p.before });
          return { messages: page.messages.map(chatMessage), hasMore: page.hasMore, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
        },
        chatSend: async (p) => (await deps.services()).runtime.sendMessage(mine(p).agentId, p.text),
        chatInterrupt: async (p) => {
          await (await deps.services()).runtime.interrupt(mine(p).agentId);
          return {};
        },
        chatRespond: async (p: RequestParams<'chatRespond'>) => {
          const { requestId, behavior, message, always } = mine(p);
          await (await deps.services()).runtime.respondToPermission(agentId, requestId, { behavior, ...(message ? { message } : {}), ...(always ? { always } : {}) });
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
      },
      log,
    );
    panel.webview.html = buildWebviewHtml(panel.webview, context.extensionUri, 'chat', 'Chat', { agentId });
    // The messages are read while the webview starts (the first read of an agent's messages
    // builds its index: a long conversation takes a moment); what arrives meanwhile is held for
    // the webview as notifications. The agent's state is read when the webview asks, so that it
    // is never older than a change the webview was told of while it started.
    this.prefetched = deps.services().then((services) => services.runtime.getMessages(agentId));
    this.prefetched.catch(() => undefined);
    this.disposables.push(this.host, this.disposeEmitter, ...followPanel(panel, this.host, () => this.dispose()));
    void this.follow();
  }

  /** Follows the agent: its changes and messages go to the webview; the title shows its status. */
  private async follow(): Promise<void> {
    try {
      const services = await this.deps.services();
      if (this.disposables.length === 0) return;
      this.offs.push(
        services.runtime.onDidChangeAgent((a) => {
          if (a.id !== this.agentId) return;
          this.title(a);
          this.host.notify('chatAgent', this.view(services, a));
        }),
        services.runtime.onDidReceiveMessage((e) => {
          if (e.agentId === this.agentId) this.host.notify('chatMessage', { agentId: e.agentId, message: chatMessage(e.message) });
        }),
      );
      this.title(await services.runtime.get(this.agentId));
    } catch (error) {
      this.deps.log.warn(`Chat ${this.agentId}: ${(error as Error).message}`);
    }
  }

  private title(agent: Agent): void {
    this.panel.title = `${agent.name} · ${agent.status}`;
  }

  /** What the chat shows of its agent, with why it cannot take a message now (if it cannot). */
  private view(services: Services, a: Agent): ChatAgent {
    const reason = !a.ownedByThisWindow
      ? 'It runs in another window: chat with it there.'
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
      usage: a.usage,
      pendingPermissions: a.pendingPermissions,
      ...(reason ? { inputDisabledReason: reason } : {}),
    };
  }

  private async open(agentId: string, prefetched?: ReturnType<Services['runtime']['getMessages']>) {
    const services = await this.deps.services();
    const [agent, page, session] = await Promise.all([services.runtime.get(agentId), prefetched ?? services.runtime.getMessages(agentId), services.store.sessions.latest(agentId)]);
    const commands = (session?.data as { slashCommands?: unknown } | undefined)?.slashCommands;
    return {
      agent: this.view(services, agent),
      page: { messages: page.messages.map(chatMessage), hasMore: page.hasMore, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) },
      slashCommands: Array.isArray(commands) ? commands.filter((c): c is string => typeof c === 'string') : [],
      contextWarningThreshold: services.runtime.contextWarningThreshold(),
    };
  }

  /** Whether the user is looking at this chat now (its notifications are then not needed). */
  get focused(): boolean {
    return this.panel.active && this.panel.visible && vscode.window.state.focused;
  }

  dispose(): void {
    const all = this.disposables.splice(0);
    if (all.length === 0) return;
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
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly deps: ChatPanelsDeps) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
        deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
          const agentId = (state as { agentId?: unknown } | undefined)?.agentId;
          if (typeof agentId !== 'string' || this.panels.has(agentId)) {
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
    const agent = await (await this.deps.services()).runtime.get(agentId);
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, agent.name, { viewColumn: vscode.ViewColumn.Active, preserveFocus: options.preserveFocus ?? false }, {
      enableScripts: true,
      localResourceRoots: webviewResourceRoots(this.deps.context.extensionUri),
    });
    return this.adopt(panel, agentId);
  }

  get(agentId: string): ChatPanel | undefined {
    return this.panels.get(agentId);
  }

  /** Whether the agent's chat is the panel the user is looking at. */
  isFocused(agentId: string): boolean {
    return this.panels.get(agentId)?.focused ?? false;
  }

  private adopt(panel: vscode.WebviewPanel, agentId: string): ChatPanel {
    const chat = new ChatPanel(panel, agentId, this.deps);
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
