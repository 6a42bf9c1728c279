import * as vscode from 'vscode';

/** The extension's settings, read fresh each time: users change them while it runs. */
export function getConfig(scope?: vscode.ConfigurationScope): { claudePath: string; worktreesRoot: string | undefined } {
  const config = vscode.workspace.getConfiguration('claudeManager', scope);
  return {
    claudePath: config.get<string>('claudePath', 'claude'),
    worktreesRoot: config.get<string>('worktreesRoot', '').trim() || undefined,
  };
}

/** The git the editor uses (`git.path`: a path, a list of paths, or unset), else "git" on PATH. */
export function gitPath(): string {
  const value = vscode.workspace.getConfiguration('git').get<string | string[] | null>('path');
  const first = Array.isArray(value) ? value.find((v) => typeof v === 'string' && v.trim()) : value;
  return typeof first === 'string' && first.trim() ? first.trim() : 'git';
}
