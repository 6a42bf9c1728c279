import type { Agent, AgentRuntime } from '../../src/services/agents/agentRuntime';

/**
 * Records every status the runtime announces, and waits for an agent to reach one. Register the
 * wait before the action that leads there: an event that fired first would be missed.
 */
export function agentStatuses(runtime: () => AgentRuntime) {
  const statuses: { id: string; status: string; reason: string }[] = [];
  return {
    statuses,
    record(a: Agent): void {
      statuses.push({ id: a.id, status: a.status, reason: a.statusReason });
    },
    until(agentId: string, check: (a: Agent) => boolean, what: string, ms = 30_000): Promise<Agent> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          off();
          reject(new Error(`${what}: not within ${ms} ms; statuses: ${JSON.stringify(statuses.filter((s) => s.id === agentId).slice(-6))}`));
        }, ms);
        const off = runtime().onDidChangeAgent((a) => {
          if (a.id !== agentId || !check(a)) return;
          clearTimeout(timer);
          off();
          resolve(a);
        });
      });
    },
  };
}
