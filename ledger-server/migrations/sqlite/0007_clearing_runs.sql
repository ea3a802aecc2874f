-- Commons Ledger, SQLite schema 7: clearing runs.
--
-- A clearing run is applied in one journal entry (kind `clearing`). `clearing_runs` names it and
-- its entry; `clearing_set_offs` holds each invoice it reduced and `clearing_credit` each balance
-- it moved through mutual credit, in the signed order. All are written in the same transaction
-- as the entry, after it; the journal stays the truth. Totals are summed when read (in 128 bits:
-- ten thousand set-offs of up to 10^15 can pass a 64-bit integer).

CREATE TABLE clearing_runs (
    -- The request id of the `ClearingRun` command.
    id           BLOB    PRIMARY KEY CHECK (length(id) = 16),
    seq          INTEGER NOT NULL UNIQUE REFERENCES journal (seq),
    unit         TEXT    NOT NULL REFERENCES units (code),
    -- The treasurer who signed it.
    signer       TEXT    NOT NULL,
    timestamp_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE clearing_set_offs (
    run              BLOB    NOT NULL REFERENCES clearing_runs (id),
    idx              INTEGER NOT NULL CHECK (idx >= 0),
    invoice          BLOB    NOT NULL REFERENCES invoices (id),
    debtor           TEXT    NOT NULL,
    creditor         TEXT    NOT NULL,
    remaining_before INTEGER NOT NULL,
    set_off          INTEGER NOT NULL CHECK (set_off > 0 AND set_off <= remaining_before),
    PRIMARY KEY (run, idx)
) STRICT, WITHOUT ROWID;

-- The runs that reduced an invoice.
CREATE INDEX clearing_set_offs_by_invoice ON clearing_set_offs (invoice);

CREATE TABLE clearing_credit (
    run            BLOB    NOT NULL REFERENCES clearing_runs (id),
    idx            INTEGER NOT NULL CHECK (idx >= 0),
    account        TEXT    NOT NULL REFERENCES accounts (handle),
    balance_before INTEGER NOT NULL,
    delta          INTEGER NOT NULL CHECK (delta <> 0),
    PRIMARY KEY (run, idx)
) STRICT, WITHOUT ROWID;
