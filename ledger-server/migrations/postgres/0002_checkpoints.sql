-- Commons Ledger, PostgreSQL schema 2: signed checkpoints (as in the SQLite schema 2).
--
-- A checkpoint is the node key's signature over (ledger id, seq, hash of entry seq, timestamp),
-- laid out in ledger-core `checkpoint.rs`. It is not a state change, so it is not a journal entry
-- and is written outside the writer's batches; at most one per entry, whichever replica signs
-- first (`ON CONFLICT DO NOTHING`).
CREATE TABLE checkpoints (
    seq          BIGINT PRIMARY KEY REFERENCES journal (seq),
    hash         BYTEA  NOT NULL CHECK (length(hash) = 32),
    timestamp_ms BIGINT NOT NULL,
    signer       BYTEA  NOT NULL CHECK (length(signer) = 32),
    signature    BYTEA  NOT NULL CHECK (length(signature) = 64)
);
