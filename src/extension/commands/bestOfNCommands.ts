import * as vscode from 'vscode';
import { untrustedGitError } from '../../services/errors';
import type { AgentMode } from '../../services/storage/records';
import { MAX_ATTEMPTS, MIN_ATTEMPTS } from '../../services/workspaces/bestOfN';
import { getConfig } from '../config';
import type { Services } from '../services';
import { RepositoryNode, WorktreeNode } from '../views/agentsView';
import type { ComparePanels } from '../webviews/comparePanels';
import { pickMode } from './agentCommands';
import { registerCommand } from './registerCommand';
import { pickWorkspace } from './worktreeCommands';

/** The programmatic form of "New Agents from One Prompt…": what is given is not asked. */
interface NewAttemptsArgs {
  workspaceId?: string;
  prompt?: string;
  name?: string;
  count?: number;
  /** One per agent; null or "" for the default model. */
  models?: (string | null)[];
  baseBranch?: string;
  mode?: AgentMode;
}

const MODELS = [
  { label: 'Default model', model: undefined },
  { label: 'opus', model: 'opus' },
  { label: 'sonnet', model: 'sonnet' },
  { label: 'haiku', model: 'haiku' },
];

/** A branch name from the prompt's first words: "Fix the login redirect" → "fix-the-login". */
function nameFromPrompt(prompt: string): string {
  const words = prompt.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return words.slice(0, 3).join('-') || 'attempt';
}

async function askModels(count: number): Promise<(string | undefined)[] | undefined> {
  const same = await vscode.window.showQuickPick(
    [{ label: 'Same model for every agent', each: false }, { label: 'Choose a model for each agent…', each: true }],
    { title: 'New Agents from One Prompt: Models' },
  );
  if (!same) return undefined;
  const picks: (string | undefined)[] = [];
  for (let i = 1; i <= (same.each ? count : 1); i++) {
    const picked = await vscode.window.showQuickPick(MODELS, { title: same.each ? `Model of agent ${i} of ${count}` : 'Model of every agent' });
    if (!picked) return undefined;
    picks.push(picked.model);
  }
  return same.each ? picks : Array.from({ length: count }, () => picks[0]);
}

/** "New Agents from One Prompt…" and "Compare Attempts…". */
export function registerBestOfNCommands(log: vscode.LogOutputChannel, services: () => Promise<Services>, compare: ComparePanels, testMode: boolean): vscode.Disposable[] {
  return [
    registerCommand('claudeManager.newAgentsFromOnePrompt', log, async (arg?: RepositoryNode | WorktreeNode | NewAttemptsArgs) => {
      if (!vscode.workspace.isTrusted) throw untrustedGitError('Starting agents from one prompt');
      const s = await services();
      const plain = arg && !(arg instanceof RepositoryNode) && !(arg instanceof WorktreeNode) ? arg : undefined;
      const workspace = await pickWorkspace(s, arg, 'New Agents from One Prompt');
      if (!workspace) return undefined;
      const prompt =
        plain?.prompt ??
        (await vscode.window.showInputBox({
          title: 'New Agents from One Prompt',
          prompt: `Every agent gets this prompt, each in a new worktree of ${workspace.name}`,
          placeHolder: 'What should the agents do?',
          validateInput: (v) => (v.trim() ? undefined : 'Say what the agents should do.'),
        }));
      if (!prompt?.trim()) return undefined;
      let count = plain?.count ?? plain?.models?.length;
      if (count === undefined) {
        const picked = await vscode.window.showQuickPick(
          Array.from({ length: MAX_ATTEMPTS - MIN_ATTEMPTS + 1 }, (_, i) => ({ label: String(i + MIN_ATTEMPTS), description: i + MIN_ATTEMPTS === 3 ? 'agents (suggested)' : 'agents', n: i + MIN_ATTEMPTS })).sort((a, b) => Number(b.n === 3) - Number(a.n === 3)),
          { title: 'New Agents from One Prompt: How Many' },
        );
        if (!picked) return undefined;
        count = picked.n;
      }
      const models = plain?.models ? plain.models.map((m) => m || undefined) : plain ? undefined : await askModels(count);
      if (!plain && !models) return undefined;
      const mode = plain?.mode ?? (plain ? getConfig().defaultMode : await pickMode('New Agents from One Prompt: Mode', getConfig().defaultMode));
      if (!mode) return undefined;
      const name =
        plain?.name ??
        (await vscode.window.showInputBox({
          title: 'New Agents from One Prompt: Branches',
          prompt: `The branches are <name>-1 … <name>-${count}`,
          value: nameFromPrompt(prompt),
          validateInput: (v) => (/^[^\s~^:?*[\\]+$/.test(v.trim()) ? undefined : 'A branch name cannot hold spaces or ~ ^ : ? * [ \\'),
        }));
      if (!name?.trim()) return undefined;
      const group = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Starting ${count} agents from one prompt…` }, () =>
        s.bestOfN.start({ workspaceId: workspace.id, name, prompt, count, ...(models ? { models } : {}), ...(plain?.baseBranch ? { baseBranch: plain.baseBranch } : {}), mode }),
      );
      const panel = await compare.open(group.id);
      return testMode ? { group, panel } : group.id;
    }),
    registerCommand('claudeManager.compareAttempts', log, async (arg?: RepositoryNode | WorktreeNode | { groupId?: string; workspaceId?: string }) => {
      const s = await services();
      let groupId = arg && !(arg instanceof RepositoryNode) && !(arg instanceof WorktreeNode) ? arg.groupId : undefined;
      if (!groupId && arg instanceof WorktreeNode) groupId = (await s.store.attemptGroups.findByWorktree(arg.worktree.id))?.id;
      if (!groupId) {
        const workspace = await pickWorkspace(s, arg, 'Compare Attempts');
        if (!workspace) return undefined;
        const groups = await s.bestOfN.list(workspace.id);
        if (groups.length === 0) {
          void vscode.window.showInformationMessage(`${workspace.name} has no agents started from one prompt yet. Use "New Agents from One Prompt…" first.`);
          return undefined;
        }
        const picked =
          groups.length === 1
            ? { group: groups[0]! }
            : await vscode.window.showQuickPick(
                groups.map((g) => ({ label: g.name, description: `${g.attempts.length} agents off ${g.baseBranch}${g.keptAttemptId ? ', one kept' : ''}`, detail: g.prompt.split('\n')[0], group: g })),
                { title: 'Compare Attempts', placeHolder: 'Choose the agents started from one prompt' },
              );
        if (!picked) return undefined;
        groupId = picked.group.id;
      }
      const panel = await compare.open(groupId);
      return testMode ? panel : true;
    }),
  ];
}
