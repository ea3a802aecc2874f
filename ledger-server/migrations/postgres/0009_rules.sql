-- Commons Ledger, Postgres schema 9: remuneration rules and the quorum that adopts them.
--
-- Both tables project entries (`quorum`, `rule-proposal`, `rule-approval`) and are written in
-- the same transaction as them; the journal stays the truth.

CREATE TABLE rules (
    -- The request id of the proposal.
    id             BYTEA   PRIMARY KEY CHECK (length(id) = 16),
    -- The unit whose commons fund it distributes.
    unit           TEXT    NOT NULL REFERENCES units (code),
    -- The rule's canonical bytes (ledger-core `Rule::to_canonical_bytes`), checked when read.
    terms          BYTEA   NOT NULL,
    -- 'YYYY-MM', as in the terms, for reading without decoding them.
    effective_from TEXT    NOT NULL CHECK (length(effective_from) = 7),
    proposer       TEXT    NOT NULL,
    -- Handles of the treasurers who approved it (the proposer first among them, in ascending
    -- order), separated by ','; a handle never holds one.
    approvals      TEXT    NOT NULL CHECK (approvals <> ''),
    -- The order of adoption, once adopted; a rule still proposed has none.
    version        BIGINT  UNIQUE CHECK (version IS NULL OR version > 0)
);

-- The quorum once set (`SetQuorum`); without a row it is 1.
CREATE TABLE rule_quorum (
    singleton SMALLINT PRIMARY KEY CHECK (singleton = 1),
    approvals BIGINT  NOT NULL CHECK (approvals BETWEEN 1 AND 16)
);
