-- Usage imported from an older Claude Manager database arrives as daily totals, not per API
-- message: a ledger row may stand for several requests. A row the CLI reported stays one request.
ALTER TABLE usage_ledger ADD COLUMN request_count INTEGER NOT NULL DEFAULT 1 CHECK (request_count >= 0);
ALTER TABLE usage_ledger ADD COLUMN error_count INTEGER NOT NULL DEFAULT 0 CHECK (error_count >= 0);
UPDATE usage_ledger SET error_count = is_error;
