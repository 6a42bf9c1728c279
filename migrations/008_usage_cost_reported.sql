-- Whether the CLI reported the cost of a ledger row. An agent run in a terminal is read from its
-- transcript, which gives every API message's tokens but no cost: its rows keep cost 0 with
-- cost_reported 0, so the figures can say the cost is not known instead of showing it as free.
ALTER TABLE usage_ledger ADD COLUMN cost_reported INTEGER NOT NULL DEFAULT 1 CHECK (cost_reported IN (0, 1));
