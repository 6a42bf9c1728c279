-- Claude Manager metadata store, first schema. Based on the original plan's 001_initial_schema,
-- with the deviations listed in docs/storage.md. Times are ISO-8601 strings with offset, written
-- by the application. Messages are not here: they live in per-agent append-only logs.

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY CHECK (id LIKE 'ws\_%' ESCAPE '\'),
    name TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX idx_workspaces_updated_at ON workspaces(updated_at DESC);

CREATE TABLE worktrees (
    id TEXT PRIMARY KEY CHECK (id LIKE 'wt\_%' ESCAPE '\'),
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- NULL while the worktree is on a detached HEAD.
    branch TEXT,
    path TEXT NOT NULL UNIQUE,
    sort_mode TEXT NOT NULL DEFAULT 'free' CHECK (sort_mode IN ('free', 'status', 'name')),
    display_order INTEGER NOT NULL DEFAULT 0,
    is_main INTEGER NOT NULL DEFAULT 0 CHECK (is_main IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX idx_worktrees_workspace_id ON worktrees(workspace_id);
CREATE INDEX idx_worktrees_order ON worktrees(workspace_id, display_order);

CREATE TABLE agents (
    id TEXT PRIMARY KEY CHECK (id LIKE 'ag\_%' ESCAPE '\'),
    worktree_id TEXT NOT NULL REFERENCES worktrees(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'finished' CHECK (status IN ('running', 'waiting', 'error', 'finished')),
    status_reason TEXT NOT NULL DEFAULT 'not started',
    context_level INTEGER NOT NULL DEFAULT 0 CHECK (context_level >= 0 AND context_level <= 100),
    mode TEXT NOT NULL DEFAULT 'regular' CHECK (mode IN ('auto', 'plan', 'regular')),
    permissions TEXT NOT NULL DEFAULT '["read"]' CHECK (json_valid(permissions)),
    model TEXT,
    display_order INTEGER NOT NULL DEFAULT 0,
    pid INTEGER,
    session_id TEXT,
    -- The window whose extension host runs the agent's process, and when it last said it lives.
    owner_window TEXT,
    owner_heartbeat_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    started_at TEXT,
    stopped_at TEXT,
    deleted_at TEXT,
    parent_agent_id TEXT REFERENCES agents(id) ON DELETE SET NULL
);

CREATE INDEX idx_agents_worktree_id ON agents(worktree_id);
CREATE INDEX idx_agents_status ON agents(status);
CREATE INDEX idx_agents_active ON agents(worktree_id, deleted_at) WHERE deleted_at IS NULL;
CREATE INDEX idx_agents_deleted ON agents(worktree_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX idx_agents_order ON agents(worktree_id, display_order);

-- One row per API message the CLI reported; day, week and month figures are derived from it.
CREATE TABLE usage_ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The API message id: the CLI can report one message on several lines; count it once.
    message_id TEXT NOT NULL UNIQUE,
    agent_id TEXT REFERENCES agents(id) ON DELETE SET NULL,
    worktree_id TEXT REFERENCES worktrees(id) ON DELETE SET NULL,
    workspace_id TEXT REFERENCES workspaces(id) ON DELETE SET NULL,
    model TEXT NOT NULL,
    input_tokens INTEGER NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    output_tokens INTEGER NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    cache_read_tokens INTEGER NOT NULL DEFAULT 0 CHECK (cache_read_tokens >= 0),
    cache_creation_tokens INTEGER NOT NULL DEFAULT 0 CHECK (cache_creation_tokens >= 0),
    cost_usd REAL NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
    is_error INTEGER NOT NULL DEFAULT 0 CHECK (is_error IN (0, 1)),
    created_at TEXT NOT NULL
);

CREATE INDEX idx_usage_ledger_created_at ON usage_ledger(created_at);
CREATE INDEX idx_usage_ledger_agent ON usage_ledger(agent_id, created_at);
CREATE INDEX idx_usage_ledger_worktree ON usage_ledger(worktree_id, created_at);
CREATE INDEX idx_usage_ledger_workspace ON usage_ledger(workspace_id, created_at);

-- The extension's own state (view sort modes, last choices, store metadata); user preferences
-- are VS Code settings.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL CHECK (json_valid(value)),
    updated_at TEXT NOT NULL
);

CREATE TABLE agent_sessions (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    session_data TEXT NOT NULL,
    context_snapshot TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX idx_agent_sessions_agent_id ON agent_sessions(agent_id);
