import type * as vscode from 'vscode';
import type { ClaudeManagerExtension } from './api/claudeManager';
import { Container } from './container';

/** Set by the bundle's first line (see esbuild.mjs); absent when the sources run unbundled. */
declare const __claudeManagerLoadStart: number | undefined;

/** Activated by its view or a command: never on start-up. */
export function activate(context: vscode.ExtensionContext): ClaudeManagerExtension {
  const started = typeof __claudeManagerLoadStart === 'number' ? __claudeManagerLoadStart : performance.now();
  const container = new Container(context);
  context.subscriptions.push(container);
  // The benchmark reads this line: bundle evaluation plus activate(), in this extension host.
  container.log.info(
    `Claude Manager ${String((context.extension.packageJSON as { version?: unknown }).version)} activated in ${(performance.now() - started).toFixed(1)} ms`,
  );
  return container.api;
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
