import * as vscode from 'vscode';

const modes = ['regular', 'plan', 'auto'] as const;

/** The extension's settings, read fresh each time: users change them while it runs. */
export function getConfig(scope?: vscode.ConfigurationScope): {
  claudePath: string;
  worktreesRoot: string | undefined;
  environment: Record<string, string>;
  extraArgs: string[];
  maxConcurrentAgents: number;
  contextWarningThreshold: number;
  /** Minutes an agent waits for a message before its process is put to sleep (0: never). */
  sleepAfterMinutes: number;
  notifications: boolean;
  defaultMode: 'regular' | 'plan' | 'auto';
  confirmBeforeDelete: boolean;
  /** The daily and monthly budgets (0: none) and what they count. */
  budgets: { daily: number; monthly: number; unit: 'dollars' | 'tokens' };
  budgetStopsAgents: boolean;
  /** Agents whose turn ended on the plan's usage limit go on by themselves once it resets. */
  resumeAfterLimit: boolean;
  /** The first day of the usage figures' weeks: 0 Sunday, 1 Monday, 6 Saturday. */
  firstDayOfWeek: 0 | 1 | 6;
} {
  const config = vscode.workspace.getConfiguration('claudeManager', scope);
  const env = config.get<Record<string, unknown>>('environment', {});
  const args = config.get<unknown[]>('extraArgs', []);
  return {
    claudePath: config.get<string>('claudePath', 'claude'),
    worktreesRoot: config.get<string>('worktreesRoot', '').trim() || undefined,
    // Only strings: a value of another type in settings.json is skipped, not passed on mangled.
    environment: Object.fromEntries(Object.entries(env && typeof env === 'object' ? env : {}).filter((e): e is [string, string] => typeof e[1] === 'string')),
    extraArgs: Array.isArray(args) ? args.filter((a): a is string => typeof a === 'string') : [],
    maxConcurrentAgents: Math.max(1, Math.floor(config.get<number>('maxConcurrentAgents', 8)) || 8),
    contextWarningThreshold: Math.min(100, Math.max(1, Math.floor(config.get<number>('contextWarningThreshold', 80)) || 80)),
    sleepAfterMinutes: Math.max(0, Number(config.get<number>('sleepAfterMinutes', 30)) || 0),
    notifications: config.get<boolean>('notifications', true) !== false,
    defaultMode: modes.find((m) => m === config.get<string>('defaultMode')) ?? 'regular',
    confirmBeforeDelete: config.get<boolean>('confirmBeforeDelete', true) !== false,
    budgets: {
      daily: Math.max(0, Number(config.get<number>('dailyBudget', 0)) || 0),
      monthly: Math.max(0, Number(config.get<number>('monthlyBudget', 0)) || 0),
      unit: config.get<string>('budgetUnit') === 'tokens' ? 'tokens' : 'dollars',
    },
    budgetStopsAgents: config.get<boolean>('budgetStopsAgents', false) === true,
    resumeAfterLimit: config.get<boolean>('resumeAfterLimit', true) !== false,
    firstDayOfWeek: ({ sunday: 0, saturday: 6 } as const)[config.get<string>('firstDayOfWeek', 'monday') as 'sunday' | 'saturday'] ?? 1,
  };
}

/** The git the editor uses (`git.path`: a path, a list of paths, or unset), else "git" on PATH. */
export function gitPath(): string {
  const value = vscode.workspace.getConfiguration('git').get<string | string[] | null>('path');
  const first = Array.isArray(value) ? value.find((v) => typeof v === 'string' && v.trim()) : value;
  return typeof first === 'string' && first.trim() ? first.trim() : 'git';
}
