-- Commons Ledger, Postgres schema 10: distributions of the commons fund.
--
-- Both tables project entries (`distribution-proposal`, `distribution-approval`) and are written
-- in the same transaction as them; the journal stays the truth.

CREATE TABLE distributions (
    -- The request id of the proposal.
    id             BYTEA   PRIMARY KEY CHECK (length(id) = 16),
    unit           TEXT    NOT NULL REFERENCES units (code),
    -- 'YYYY-MM'.
    period         TEXT    NOT NULL CHECK (length(period) = 7),
    rule           BYTEA   NOT NULL REFERENCES rules (id),
    rule_version   BIGINT  NOT NULL CHECK (rule_version > 0),
    -- The pool as planned, in minor units.
    fund_balance   BIGINT  NOT NULL CHECK (fund_balance >= 0),
    reserve        BIGINT  NOT NULL CHECK (reserve >= 0),
    pool_by_share  BIGINT  NOT NULL CHECK (pool_by_share >= 0),
    pool_fixed     BIGINT  NOT NULL CHECK (pool_fixed >= 0),
    pool           BIGINT  NOT NULL CHECK (pool >= 0),
    -- The sum of its lines.
    distributed    BIGINT  NOT NULL CHECK (distributed >= 0 AND distributed <= pool),
    proposer       TEXT    NOT NULL,
    -- Handles of the treasurers who approved it (the proposer among them), ascending, joined by ','.
    approvals      TEXT    NOT NULL CHECK (approvals <> ''),
    status         TEXT    NOT NULL CHECK (status IN ('proposed', 'executed'))
);

CREATE INDEX distributions_by_period ON distributions (unit, period);

-- The planned lines, in declaration id order: what the distribution pays once executed.
CREATE TABLE distribution_lines (
    distribution BYTEA   NOT NULL REFERENCES distributions (id),
    declaration  BYTEA   NOT NULL REFERENCES declarations (id),
    amount       BIGINT  NOT NULL CHECK (amount >= 0),
    -- The category's weight under the rule, exact thousandths.
    weight       BIGINT  NOT NULL CHECK (weight > 0),
    PRIMARY KEY (distribution, declaration)
);

-- The executed distribution that paid a declaration: at most one. (No foreign key: a batch writes
-- declarations before the distributions whose lines reference them.)
ALTER TABLE declarations ADD COLUMN paid_by BYTEA CHECK (paid_by IS NULL OR length(paid_by) = 16);
