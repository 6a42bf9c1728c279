-- The worktree and workspace indexes held a third of the ledger's bytes (each repeats a 27-character
-- id and a timestamp per row), and every byte of the snapshot is read when the store opens. Queries
-- filtered by worktree or workspace are always bounded by a period, which the created_at index
-- narrows; the rest is a scan of that period's rows.
DROP INDEX IF EXISTS idx_usage_ledger_worktree;
DROP INDEX IF EXISTS idx_usage_ledger_workspace;
