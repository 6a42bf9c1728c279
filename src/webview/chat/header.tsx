import type { ChatAgent } from '../protocol';

const MODES = [
  { mode: 'regular', label: 'Regular' },
  { mode: 'plan', label: 'Plan' },
  { mode: 'auto', label: 'Auto' },
] as const;

/** An integer as `toLocaleString('en-US')` writes it: its digits in threes, with commas. */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * `n.toLocaleString()`. In English as the US writes it (VS Code's default), the digits are grouped
 * here: the first number format the page builds costs ~15 ms, spent before the chat's first paint.
 */
const usEnglish = typeof navigator !== 'undefined' && /^en(-US)?$/i.test(navigator.language);
function formatCount(n: number): string {
  return usEnglish && Number.isSafeInteger(n) ? groupDigits(n) : n.toLocaleString();
}

function formatCost(usd: number): string {
  return `$${usd.toFixed(usd < 1 ? 3 : 2)}`;
}

/** The chat's header: the agent, its status, Interrupt while a turn runs, mode, model, context and cost, and Find. */
export function Header(props: {
  agent: ChatAgent;
  threshold: number;
  models: readonly string[];
  onMode: (mode: ChatAgent['mode']) => void;
  onModel: (model: string) => void;
  onFind: () => void;
  onInterrupt: () => void;
}) {
  const { agent, threshold } = props;
  const u = agent.usage;
  const tokens = u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheCreationTokens;
  const warn = agent.contextLevel >= threshold;
  return (
    <header class="chat-header">
      <div class="title">
        <span class={`status-dot ${agent.status}`} aria-hidden="true" />
        <strong>{agent.name}</strong>
        <span class="status" data-testid="status">
          {agent.status}: {agent.statusReason}
        </span>
        {agent.status === 'running' && !agent.inputDisabledReason && (
          <button type="button" class="secondary" title="End this turn (Esc in the message box); queued messages go on after it" onClick={props.onInterrupt}>
            Interrupt
          </button>
        )}
      </div>
      <div class="facts">
        <label>
          Mode{' '}
          <select aria-label="Mode" value={agent.mode} disabled={Boolean(agent.inputDisabledReason)} onChange={(e) => props.onMode((e.target as HTMLSelectElement).value as ChatAgent['mode'])}>
            {MODES.map((m) => (
              <option value={m.mode}>{m.label}</option>
            ))}
          </select>
        </label>
        <label>
          Model{' '}
          <select
            aria-label="Model"
            value={agent.model ?? ''}
            disabled={Boolean(agent.inputDisabledReason)}
            onChange={(e) => {
              const model = (e.target as HTMLSelectElement).value;
              if (model) props.onModel(model);
            }}
          >
            {!agent.model && <option value="">Default</option>}
            {(agent.model && !props.models.includes(agent.model) ? [...props.models, agent.model] : props.models).map((m) => (
              <option value={m}>{m}</option>
            ))}
          </select>
        </label>
        <span class={`meter${warn ? ' warn' : ''}`} role="meter" aria-label="Context window" aria-valuemin={0} aria-valuemax={100} aria-valuenow={agent.contextLevel} title={`Context ${agent.contextLevel}% full`}>
          <span class="fill" style={{ width: `${Math.min(100, agent.contextLevel)}%` }} />
        </span>
        <span>{agent.contextLevel}%</span>
        <span title="Tokens and cost of this agent">
          {formatCount(tokens)} tokens · {formatCost(u.costUsd)}
        </span>
        <button type="button" class="icon" aria-label="Find in Conversation (Ctrl+F)" title="Find in Conversation (Ctrl+F)" onClick={props.onFind}>
          Find
        </button>
      </div>
    </header>
  );
}
