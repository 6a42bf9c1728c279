import * as vscode from 'vscode';

/** The extension's settings, read fresh each time: users change them while it runs. */
export function getConfig(scope?: vscode.ConfigurationScope): { claudePath: string } {
  const config = vscode.workspace.getConfiguration('claudeManager', scope);
  return { claudePath: config.get<string>('claudePath', 'claude') };
}
