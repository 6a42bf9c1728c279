-- The branch a worktree's work goes back to: its changes are counted from the merge-base with it,
-- and it is merged into it. Recorded when the worktree is made here, or set by the user; NULL for
-- worktrees made elsewhere, which take the repository's default branch (origin/HEAD, else main or
-- master) until one is set.
ALTER TABLE worktrees ADD COLUMN base_branch TEXT;
-- The address of the pull request opened for the worktree's branch, once one is.
ALTER TABLE worktrees ADD COLUMN pull_request_url TEXT;
