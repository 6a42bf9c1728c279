-- Best of N: worktrees and agents started from one prompt, off one base, to be compared and one
-- of them kept. A group records the prompt, the base (the branch, and the commit every attempt
-- started from) and, once one was kept, which.
CREATE TABLE attempt_groups (
    id TEXT PRIMARY KEY CHECK (id LIKE 'grp\_%' ESCAPE '\'),
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    prompt TEXT NOT NULL,
    base_branch TEXT NOT NULL,
    base_commit TEXT NOT NULL,
    kept_attempt_id TEXT,
    kept_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX idx_attempt_groups_workspace ON attempt_groups(workspace_id, created_at);

-- One attempt of a group: its worktree (branch `<name>-<position>`) and its agent. Both outlive
-- the link: a worktree removed or an agent deleted leaves the attempt with NULL, shown as gone.
CREATE TABLE attempts (
    id TEXT PRIMARY KEY CHECK (id LIKE 'att\_%' ESCAPE '\'),
    group_id TEXT NOT NULL REFERENCES attempt_groups(id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 1),
    branch TEXT NOT NULL,
    worktree_id TEXT REFERENCES worktrees(id) ON DELETE SET NULL,
    agent_id TEXT REFERENCES agents(id) ON DELETE SET NULL,
    model TEXT,
    UNIQUE (group_id, position)
);
CREATE INDEX idx_attempts_worktree ON attempts(worktree_id);
CREATE INDEX idx_attempts_agent ON attempts(agent_id);
