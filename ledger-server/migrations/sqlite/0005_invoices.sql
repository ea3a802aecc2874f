-- Commons Ledger, SQLite schema 5: invoices.
--
-- `invoices` projects every invoice (trade credit outside the balances) and where it stands,
-- written in the same transaction as the entry that created or changed it. The journal stays the
-- truth: a row is its creating command's fields plus what later entries did to it.

CREATE TABLE invoices (
    -- The request id of the command that issued it, or the id derived for an imported one.
    id         BLOB    PRIMARY KEY CHECK (length(id) = 16),
    creditor   TEXT    NOT NULL REFERENCES accounts (handle),
    debtor     TEXT    NOT NULL REFERENCES accounts (handle),
    unit       TEXT    NOT NULL REFERENCES units (code),
    amount     INTEGER NOT NULL CHECK (amount > 0),
    -- What is still owed, after clearing runs.
    remaining  INTEGER NOT NULL CHECK (remaining >= 0 AND remaining <= amount),
    -- YYYY-MM-DD, sorting as dates do.
    due        TEXT    CHECK (due IS NULL OR length(due) = 10),
    reference  TEXT    NOT NULL,
    status     TEXT    NOT NULL CHECK (status IN ('issued', 'accepted', 'rejected')),
    -- Timestamp of the creating entry, milliseconds since the Unix epoch.
    created_ms INTEGER NOT NULL,
    CHECK (creditor <> debtor)
) STRICT, WITHOUT ROWID;

-- Listing by unit and status (a clearing run reads a unit's accepted invoices), and a party's
-- invoices, either side; each in id order, the order of pages.
CREATE INDEX invoices_by_unit ON invoices (unit, status, id);
CREATE INDEX invoices_by_creditor ON invoices (creditor, status, id);
CREATE INDEX invoices_by_debtor ON invoices (debtor, status, id);
