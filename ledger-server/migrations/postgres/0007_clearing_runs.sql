-- Commons Ledger, PostgreSQL schema 7: clearing runs.
--
-- A clearing run is applied in one journal entry (kind `clearing`). `clearing_runs` names it and
-- its entry; `clearing_set_offs` holds each invoice it reduced and `clearing_credit` each balance
-- it moved through mutual credit, in the signed order. All are written in the same transaction
-- as the entry, after it; the journal stays the truth. Totals are summed when read (in 128 bits:
-- ten thousand set-offs of up to 10^15 can pass a 64-bit integer).

CREATE TABLE clearing_runs (
    -- The request id of the `ClearingRun` command.
    id           BYTEA   PRIMARY KEY CHECK (length(id) = 16),
    seq          BIGINT  NOT NULL UNIQUE REFERENCES journal (seq),
    unit         TEXT    NOT NULL REFERENCES units (code),
    -- The treasurer who signed it.
    signer       TEXT    NOT NULL,
    timestamp_ms BIGINT  NOT NULL
);

CREATE TABLE clearing_set_offs (
    run              BYTEA   NOT NULL REFERENCES clearing_runs (id),
    idx              INTEGER NOT NULL CHECK (idx >= 0),
    invoice          BYTEA   NOT NULL REFERENCES invoices (id),
    debtor           TEXT    NOT NULL,
    creditor         TEXT    NOT NULL,
    remaining_before BIGINT  NOT NULL,
    set_off          BIGINT  NOT NULL CHECK (set_off > 0 AND set_off <= remaining_before),
    PRIMARY KEY (run, idx)
);

-- The runs that reduced an invoice.
CREATE INDEX clearing_set_offs_by_invoice ON clearing_set_offs (invoice);

CREATE TABLE clearing_credit (
    run            BYTEA   NOT NULL REFERENCES clearing_runs (id),
    idx            INTEGER NOT NULL CHECK (idx >= 0),
    account        TEXT    NOT NULL REFERENCES accounts (handle),
    balance_before BIGINT  NOT NULL,
    delta          BIGINT  NOT NULL CHECK (delta <> 0),
    PRIMARY KEY (run, idx)
);
