-- Commons Ledger, Sqlite schema 10: distributions of the commons fund.
--
-- Both tables project entries (`distribution-proposal`, `distribution-approval`) and are written
-- in the same transaction as them; the journal stays the truth.

CREATE TABLE distributions (
    -- The request id of the proposal.
    id             BLOB    PRIMARY KEY CHECK (length(id) = 16),
    unit           TEXT    NOT NULL REFERENCES units (code),
    -- 'YYYY-MM'.
    period         TEXT    NOT NULL CHECK (length(period) = 7),
    rule           BLOB    NOT NULL REFERENCES rules (id),
    rule_version   INTEGER NOT NULL CHECK (rule_version > 0),
    -- The pool as planned, in minor units.
    fund_balance   INTEGER NOT NULL CHECK (fund_balance >= 0),
    reserve        INTEGER NOT NULL CHECK (reserve >= 0),
    pool_by_share  INTEGER NOT NULL CHECK (pool_by_share >= 0),
    pool_fixed     INTEGER NOT NULL CHECK (pool_fixed >= 0),
    pool           INTEGER NOT NULL CHECK (pool >= 0),
    -- The sum of its lines.
    distributed    INTEGER NOT NULL CHECK (distributed >= 0 AND distributed <= pool),
    proposer       TEXT    NOT NULL,
    -- Handles of the treasurers who approved it (the proposer among them), ascending, joined by ','.
    approvals      TEXT    NOT NULL CHECK (approvals <> ''),
    status         TEXT    NOT NULL CHECK (status IN ('proposed', 'executed'))
) STRICT, WITHOUT ROWID;

CREATE INDEX distributions_by_period ON distributions (unit, period);

-- The planned lines, in declaration id order: what the distribution pays once executed.
CREATE TABLE distribution_lines (
    distribution BLOB    NOT NULL REFERENCES distributions (id),
    declaration  BLOB    NOT NULL REFERENCES declarations (id),
    amount       INTEGER NOT NULL CHECK (amount >= 0),
    -- The category's weight under the rule, exact thousandths.
    weight       INTEGER NOT NULL CHECK (weight > 0),
    PRIMARY KEY (distribution, declaration)
) STRICT, WITHOUT ROWID;

-- The executed distribution that paid a declaration: at most one. (No foreign key: a batch writes
-- declarations before the distributions whose lines reference them.)
ALTER TABLE declarations ADD COLUMN paid_by BLOB CHECK (paid_by IS NULL OR length(paid_by) = 16);
