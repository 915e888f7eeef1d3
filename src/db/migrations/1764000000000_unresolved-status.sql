-- Up Migration
-- A position whose market shows no resolution by its deadline ends UNRESOLVED (with an alert), instead
-- of polling for ever.
ALTER TABLE trades DROP CONSTRAINT trades_status_check;
ALTER TABLE trades ADD CONSTRAINT trades_status_check
    CHECK (status IN ('OPEN', 'BALANCED', 'IMBALANCED', 'RESOLVED', 'ABANDONED', 'UNRESOLVED'));

-- Down Migration
ALTER TABLE trades DROP CONSTRAINT trades_status_check;
ALTER TABLE trades ADD CONSTRAINT trades_status_check
    CHECK (status IN ('OPEN', 'BALANCED', 'IMBALANCED', 'RESOLVED', 'ABANDONED'));
