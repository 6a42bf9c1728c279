-- The block of ports a worktree holds when its repository's setup asks for them (".claude-manager.json"
-- "ports": { "base", "count" }): the first port and how many. No other worktree of the repository
-- holds any of them; they are freed with the worktree's row.
ALTER TABLE worktrees ADD COLUMN port_base INTEGER;
ALTER TABLE worktrees ADD COLUMN port_count INTEGER;
