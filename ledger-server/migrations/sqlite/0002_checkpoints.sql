-- Commons Ledger, SQLite schema 2: signed checkpoints.
--
-- A checkpoint is the node key's signature over (ledger id, seq, hash of entry seq, timestamp),
-- laid out in ledger-core `checkpoint.rs`. It is not a state change, so it is not a journal entry
-- and is written outside the writer's batches; at most one per entry.
CREATE TABLE checkpoints (
    seq          INTEGER PRIMARY KEY REFERENCES journal (seq),
    hash         BLOB    NOT NULL CHECK (length(hash) = 32),
    timestamp_ms INTEGER NOT NULL,
    signer       BLOB    NOT NULL CHECK (length(signer) = 32),
    signature    BLOB    NOT NULL CHECK (length(signature) = 64)
) STRICT;
