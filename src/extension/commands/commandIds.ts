/** Every command the extension contributes; kept in step with package.json by a test. */
export const commandIds = [
  'claudeManager.refresh',
  'claudeManager.openPanel',
  'claudeManager.showLog',
  'claudeManager.showStorageInfo',
  'claudeManager.pruneArchivedAgents',
  'claudeManager.importDatabase',
] as const;

export type CommandId = (typeof commandIds)[number];
