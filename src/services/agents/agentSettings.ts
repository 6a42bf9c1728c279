import { ClaudeManagerError } from '../errors';
import type { AgentMode, PermissionKind } from '../storage/records';
import type { Store } from '../storage/store';
import type { AgentCatalog } from './agentCatalog';
import { PERMISSION_MODE } from './cliArgs';
import type { LiveAgent } from './liveAgent';

/** What changing an agent's settings needs of the runtime. */
export interface AgentSettingsHost {
  store: Store;
  /** This window's running agents. */
  live: ReadonlyMap<string, LiveAgent>;
  catalog: AgentCatalog;
  host: { agentChanged(id: string): Promise<void> };
}

/**
 * An agent's name, mode, permissions, model and bypass: stored, and applied to its running CLI
 * where the CLI can change them live (mode, model), the conversation told.
 */
export class AgentSettings {
  constructor(private readonly deps: AgentSettingsHost) {}

  /** Renames, or changes mode, permissions or model; a running agent's mode and model change live. Choosing a mode ends a bypass. */
  async update(id: string, patch: { name?: string; mode?: AgentMode; permissions?: PermissionKind[]; model?: string }): Promise<void> {
    if (patch.name !== undefined && !patch.name.trim()) throw new ClaudeManagerError('INVALID_INPUT', 'An agent name cannot be empty.');
    // The mode chosen is what the agent runs in from now on.
    if (patch.mode && (await this.deps.catalog.bypassing(id))) await this.setBypassPermissions(id, false);
    const live = this.deps.live.get(id);
    if (live?.process.alive) {
      if (patch.mode) {
        await live.process.request({ subtype: 'set_permission_mode', mode: PERMISSION_MODE[patch.mode] });
        live.modeChanged(patch.mode);
      }
      if (patch.model) await live.process.request({ subtype: 'set_model', model: patch.model });
    }
    await this.deps.store.agents.update(id, { ...patch, ...(patch.name ? { name: patch.name.trim() } : {}) });
    await this.deps.host.agentChanged(id);
  }

  /**
   * Lets the agent run every tool without asking (`--permission-mode bypassPermissions`), or ends
   * that. Turning it on needs `{ confirmed: true }`: the caller has shown the user the risk (any
   * command, any file, the network, with no prompt) and the user agreed; nothing turns it on by
   * default. It applies from the agent's next start (the CLI allows the mode only when started
   * for it); turning it off applies at once to a running agent.
   */
  async setBypassPermissions(id: string, on: boolean, confirmation?: { confirmed: true }): Promise<void> {
    const record = await this.deps.store.agents.get(id);
    if (on && confirmation?.confirmed !== true) {
      throw new ClaudeManagerError('INVALID_INPUT', `Bypassing permissions for ${record.name} needs the user's explicit confirmation of the risk.`);
    }
    if (!(await this.deps.catalog.setBypassing(id, on))) return;
    const live = this.deps.live.get(id);
    if (live?.process.alive && !live.terminal) {
      if (!on) await live.process.request({ subtype: 'set_permission_mode', mode: PERMISSION_MODE[record.mode] });
      live.noticeSoon(on ? 'Permissions will be bypassed from the next start: every tool runs without asking.' : `Permissions are asked for again (mode ${record.mode}).`);
    }
    await this.deps.host.agentChanged(id);
  }
}
