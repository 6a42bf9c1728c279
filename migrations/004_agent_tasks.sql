-- An agent's task list, as its TodoWrite, TaskCreate and TaskUpdate calls left it (a JSON list of
-- {id?, content, status, activeForm?}). Kept apart from the agent's row: that row is journaled
-- whole at every status change, and the list changes only when the agent updates it.
CREATE TABLE agent_tasks (
    agent_id TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    tasks TEXT NOT NULL CHECK (json_valid(tasks)),
    updated_at TEXT NOT NULL
);
