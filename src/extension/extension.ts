import type * as vscode from 'vscode';
import type { ClaudeManagerExtension } from './api/claudeManager';
import { Container } from './container';

/** Set by the bundle's first and last lines (see esbuild.mjs); absent when the sources run unbundled. */
declare const __claudeManagerLoadStart: number | undefined;
declare const __claudeManagerLoadEnd: number | undefined;

/** The window's container, for `deactivate`. */
let active: Container | undefined;

/** Activated by its view or a command: never on start-up. */
export function activate(context: vscode.ExtensionContext): ClaudeManagerExtension {
  const activateStart = performance.now();
  const container = new Container(context);
  active = container;
  context.subscriptions.push(container);
  const activateMs = performance.now() - activateStart;
  const loadingMs =
    typeof __claudeManagerLoadStart === 'number' && typeof __claudeManagerLoadEnd === 'number'
      ? __claudeManagerLoadEnd - __claudeManagerLoadStart
      : 0;
  // The benchmark reads this line: the extension's own share of activation in this extension host
  // (the editor's work between loading the bundle and calling activate is not counted).
  container.log.info(
    `Claude Manager ${String((context.extension.packageJSON as { version?: unknown }).version)} activated in ` +
      `${(loadingMs + activateMs).toFixed(1)} ms (loading ${loadingMs.toFixed(1)} ms, activate ${activateMs.toFixed(1)} ms)`,
  );
  return container.api;
}

/**
 * Stops this window's agents and closes the store; the editor waits for the promise (and then
 * disposes everything else through context.subscriptions).
 */
export function deactivate(): Promise<void> | undefined {
  const container = active;
  active = undefined;
  return container?.shutdown();
}
