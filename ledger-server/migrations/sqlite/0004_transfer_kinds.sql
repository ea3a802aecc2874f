-- Commons Ledger, SQLite schema 4: every transfer kind the product defines.
--
-- Bulk imports make transfers of kind `import`; the chamber and the clearing house will make
-- `contribution`, `levy`, `distribution` and `clearing` transfers. SQLite cannot change a CHECK
-- constraint in place, so the table is rebuilt once, with all of them, and its rows copied.

CREATE TABLE transfers_with_every_kind (
    id            BLOB    PRIMARY KEY CHECK (length(id) = 16),
    kind          TEXT    NOT NULL CHECK (kind IN ('payment', 'request', 'reversal', 'import',
                                                   'contribution', 'levy', 'distribution', 'clearing')),
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'committed', 'rejected')),
    payer         TEXT    NOT NULL REFERENCES accounts (handle),
    payee         TEXT    NOT NULL REFERENCES accounts (handle),
    unit          TEXT    NOT NULL REFERENCES units (code),
    amount        INTEGER NOT NULL CHECK (amount > 0),
    memo          TEXT    NOT NULL,
    created_ms    INTEGER NOT NULL,
    expires_at_ms INTEGER,
    reverses      BLOB    CHECK (length(reverses) = 16),
    reversed_by   BLOB    CHECK (length(reversed_by) = 16)
) STRICT, WITHOUT ROWID;

INSERT INTO transfers_with_every_kind SELECT * FROM transfers;
DROP TABLE transfers;
ALTER TABLE transfers_with_every_kind RENAME TO transfers;

CREATE INDEX transfers_pending_by_payer ON transfers (payer, status, id);
CREATE INDEX transfers_pending_by_payee ON transfers (payee, status, id);
