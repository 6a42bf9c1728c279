/** Every command the extension contributes; kept in step with package.json by a test. */
export const commandIds = [
  'claudeManager.refresh',
  'claudeManager.openPanel',
  'claudeManager.showLog',
  'claudeManager.showStorageInfo',
  'claudeManager.pruneArchivedAgents',
  'claudeManager.importDatabase',
  'claudeManager.addRepository',
  'claudeManager.removeRepository',
  'claudeManager.createWorktree',
  'claudeManager.removeWorktree',
  'claudeManager.checkoutBranch',
  'claudeManager.pruneWorktrees',
  'claudeManager.sortWorktrees',
  'claudeManager.openWorktreeInNewWindow',
  'claudeManager.addWorktreeToWorkspace',
  'claudeManager.revealWorktree',
  'claudeManager.openTerminalInWorktree',
  'claudeManager.copyWorktreePath',
  'claudeManager.openAgentInTerminal',
  'claudeManager.bypassAgentPermissions',
] as const;

export type CommandId = (typeof commandIds)[number];
