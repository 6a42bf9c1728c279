import type { FileSnapshots } from '../../src/services/agents/fileSnapshots';
import { killProcessTree, processIsAlive } from '../../src/services/processRunner';
import type { Store } from '../../src/services/storage/store';
import type { AgentControl } from '../../src/services/workspaces/workspaceService';

/**
 * Agents as their stored records tell: one runs while the process of its recorded pid lives (and
 * no other window owns it). Stopping ends the process tree and records the agent as stopped.
 * The extension uses the agent runtime instead; tests of the workspace service use this to put a
 * real process (not a CLI) behind an agent record.
 */
export class RecordedAgents implements AgentControl {
  constructor(
    private readonly store: Store,
    private readonly window: string,
    private readonly snapshots?: FileSnapshots,
  ) {}

  async forget(agentIds: readonly string[]): Promise<void> {
    await this.snapshots?.deleteAgents(agentIds);
  }

  async running(worktreeId: string): Promise<{ id: string; name: string }[]> {
    const agents = await this.store.agents.list({ worktreeId });
    return agents.filter((a) => a.pid !== undefined && (a.ownerWindow === undefined || a.ownerWindow === this.window) && processIsAlive(a.pid)).map((a) => ({ id: a.id, name: a.name }));
  }

  async stop(agentIds: readonly string[]): Promise<void> {
    for (const id of agentIds) {
      const agent = await this.store.agents.get(id);
      if (agent.pid !== undefined) {
        killProcessTree(agent.pid);
        const deadline = Date.now() + 5000;
        while (processIsAlive(agent.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      }
      await this.store.agents.update(id, { pid: undefined, status: 'finished', statusReason: 'stopped', stoppedAt: new Date().toISOString() });
    }
  }
}
