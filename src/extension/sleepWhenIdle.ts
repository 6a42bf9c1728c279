import * as vscode from 'vscode';
import type { Logger } from '../services/logger';
import { AgentSleep, type SleepRuntime } from '../services/agents/sleep';
import { getConfig } from './config';

/** Puts this window's idle agents to sleep after `claudeManager.sleepAfterMinutes` (see AgentSleep), following the setting as it changes. */
export function sleepWhenIdle(runtime: SleepRuntime, log: Logger): vscode.Disposable {
  const sleep = new AgentSleep(runtime, () => getConfig().sleepAfterMinutes * 60_000, log);
  const watching = vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('claudeManager.sleepAfterMinutes')) sleep.reschedule();
  });
  return { dispose: () => (watching.dispose(), sleep.dispose()) };
}
