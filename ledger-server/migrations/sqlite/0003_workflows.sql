-- Commons Ledger, SQLite schema 3: transfer workflows.
--
-- `transfers` projects every transfer (payment, request, reversal) and where it stands, written
-- in the same transaction as the entry that created or changed it. The journal stays the truth:
-- a transfer's row is its creating command's fields plus what later entries did to it.

CREATE TABLE transfers (
    -- The request id of the command that created it.
    id            BLOB    PRIMARY KEY CHECK (length(id) = 16),
    kind          TEXT    NOT NULL CHECK (kind IN ('payment', 'request', 'reversal')),
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'committed', 'rejected')),
    payer         TEXT    NOT NULL REFERENCES accounts (handle),
    payee         TEXT    NOT NULL REFERENCES accounts (handle),
    unit          TEXT    NOT NULL REFERENCES units (code),
    amount        INTEGER NOT NULL CHECK (amount > 0),
    memo          TEXT    NOT NULL,
    -- Timestamp of the creating entry, milliseconds since the Unix epoch.
    created_ms    INTEGER NOT NULL,
    -- Requests only: from this instant on it can no longer be accepted.
    expires_at_ms INTEGER,
    -- Reversals only: the transfer undone.
    reverses      BLOB    CHECK (length(reverses) = 16),
    -- The reversal that undid it.
    reversed_by   BLOB    CHECK (length(reversed_by) = 16)
) STRICT, WITHOUT ROWID;

-- A member's pending requests, both directions.
CREATE INDEX transfers_pending_by_payer ON transfers (payer, status, id);
CREATE INDEX transfers_pending_by_payee ON transfers (payee, status, id);
