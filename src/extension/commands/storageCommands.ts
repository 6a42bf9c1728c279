import * as vscode from 'vscode';
import type { Store } from '../../services/storage/store';
import { registerCommand } from './registerCommand';

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Housekeeping of the extension's store: where it is, how big, and pruning the archive. */
export function registerStorageCommands(
  log: vscode.LogOutputChannel,
  store: () => Promise<Store>,
  /** Deletes what is kept of agents, outside the store, once they are deleted for good (the copies of their files). */
  forgetAgents: (agentIds: readonly string[]) => Promise<void>,
): vscode.Disposable[] {
  return [
    registerCommand('claudeManager.importDatabase', log, async (file?: vscode.Uri) => {
      let target = file;
      if (!target) {
        const picked = await vscode.window.showOpenDialog({
          title: 'Import a Claude Manager Database',
          openLabel: 'Import',
          canSelectMany: false,
          filters: { 'SQLite database': ['db', 'sqlite', 'sqlite3'], 'All files': ['*'] },
        });
        target = picked?.[0];
        if (!target) return undefined;
      }
      const source = target;
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Importing ${source.fsPath}…` },
        async () => {
          return (await store()).importDatabase(source.fsPath);
        },
      );
      const parts = [
        `${report.workspaces} repositories`,
        `${report.worktrees} worktrees`,
        `${report.agents} agents`,
        `${report.messages} messages`,
        `${report.usageDays} days of usage`,
      ];
      log.info(`Imported ${source.fsPath}: ${parts.join(', ')}`);
      void vscode.window.showInformationMessage(
        Object.values(report).every((n) => n === 0) ? 'Nothing new to import: everything in that file is here already.' : `Imported ${parts.join(', ')}.`,
      );
      return report;
    }),
    registerCommand('claudeManager.showStorageInfo', log, async () => {
      const info = await (await store()).info();
      void vscode.window
        .showInformationMessage(`Claude Manager keeps its data in ${info.dir} (${formatBytes(info.bytes)} in ${info.files} files).`, 'Copy Path')
        .then(async (choice) => {
          if (choice === 'Copy Path') await vscode.env.clipboard.writeText(info.dir);
        });
      return info;
    }),
    registerCommand('claudeManager.pruneArchivedAgents', log, async (args?: { olderThanDays?: number }) => {
      let days = args?.olderThanDays;
      if (days === undefined) {
        const pick = await vscode.window.showQuickPick(
          [7, 30, 90, 365].map((d) => ({ label: `Archived more than ${d} days ago`, days: d })),
          { title: 'Delete Old Archived Agents', placeHolder: 'Which archived agents should be deleted for good, with their messages?' },
        );
        if (!pick) return undefined;
        const confirm = await vscode.window.showWarningMessage(
          `Delete the agents archived more than ${pick.days} days ago, with all their messages? This cannot be undone.`,
          { modal: true },
          'Delete',
        );
        if (confirm !== 'Delete') return undefined;
        days = pick.days;
      }
      if (!Number.isInteger(days) || days < 0) throw new Error(`"olderThanDays" must be a whole number of days; got ${String(days)}.`);
      const cutoff = new Date(Date.now() - days * 24 * 60 * 60 * 1000).toISOString();
      const pruned = await (await store()).agents.pruneArchived(cutoff);
      if (pruned.length) {
        try {
          await forgetAgents(pruned.map((a) => a.id));
        } catch (error) {
          log.warn(`The copies of files kept for the deleted agents could not all be deleted: ${(error as Error).message}`);
        }
      }
      log.info(`Deleted ${pruned.length} archived agents older than ${days} days`);
      void vscode.window.showInformationMessage(
        pruned.length === 0 ? `No agent was archived more than ${days} days ago.` : `Deleted ${pruned.length} archived agents and their messages.`,
      );
      return { deleted: pruned.length };
    }),
  ];
}
