/** The file, committed at a repository's root, that says how its worktrees are made ready (see worktreeSetup.ts). */
export const SETUP_FILE = '.claude-manager.json';
