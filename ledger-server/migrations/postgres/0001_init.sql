-- Commons Ledger, PostgreSQL schema 1.
--
-- The same tables as the SQLite schema, plus `ledger_head`: the one row every batch locks first
-- (`SELECT ... FOR UPDATE`), so replicas of `ledgerd` on one database append one batch at a time.
-- `journal` is the source of truth: one row per entry, hash-chained. `postings` and
-- `account_entries` project it per account; `units`, `accounts`, `identities` and `keys` hold the
-- current state, rewritten in the same transaction as the entries that changed them.
-- Money is in integer minor units; hashes, keys, ids and signatures are raw bytes.
--
-- Only SQL that CockroachDB and YugabyteDB also speak: plain tables, CHECK constraints, no
-- sequences (seq is assigned by the writer under the head lock, so it is gapless), no triggers.

-- The ledger's identity: exactly one row, written with the genesis entry.
CREATE TABLE ledger_meta (
    id        SMALLINT PRIMARY KEY CHECK (id = 1),
    ledger_id BYTEA    NOT NULL CHECK (length(ledger_id) = 16),
    node_key  BYTEA    NOT NULL CHECK (length(node_key) = 32)
);

-- The head of the chain: seq and hash of the last entry (0 and 32 zero bytes before genesis).
-- Exactly one row, present from the start so there is always something to lock.
CREATE TABLE ledger_head (
    id   SMALLINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT   NOT NULL CHECK (seq >= 0),
    hash BYTEA    NOT NULL CHECK (length(hash) = 32)
);

INSERT INTO ledger_head (id, seq, hash)
VALUES (1, 0, decode('0000000000000000000000000000000000000000000000000000000000000000', 'hex'));

-- The journal, gapless from 1, appended in order.
CREATE TABLE journal (
    seq          BIGINT PRIMARY KEY CHECK (seq >= 1),
    request_id   BYTEA  NOT NULL UNIQUE CHECK (length(request_id) = 16),
    timestamp_ms BIGINT NOT NULL,
    kind         TEXT   NOT NULL,
    -- The signed canonical bytes of the command.
    command      BYTEA  NOT NULL,
    -- Concatenated pairs of public key (32 bytes) and signature (64 bytes).
    signatures   BYTEA  NOT NULL CHECK (length(signatures) % 96 = 0),
    prev_hash    BYTEA  NOT NULL CHECK (length(prev_hash) = 32),
    hash         BYTEA  NOT NULL CHECK (length(hash) = 32)
);

CREATE TABLE units (
    code  TEXT     PRIMARY KEY,
    scale SMALLINT NOT NULL CHECK (scale BETWEEN 0 AND 6),
    name  TEXT     NOT NULL
);

CREATE TABLE accounts (
    handle       TEXT   PRIMARY KEY,
    kind         TEXT   NOT NULL CHECK (kind IN ('member', 'business', 'system')),
    unit         TEXT   NOT NULL REFERENCES units (code),
    name         TEXT   NOT NULL,
    balance      BIGINT NOT NULL,
    credit_limit BIGINT NOT NULL CHECK (credit_limit >= 0),
    -- NULL: no ceiling but the ledger-wide bound.
    ceiling      BIGINT CHECK (ceiling >= 0),
    -- NULL: no soft limit.
    soft_limit   BIGINT CHECK (soft_limit >= 0),
    status       TEXT   NOT NULL CHECK (status IN ('active', 'frozen', 'closed'))
);

-- Balances are listed per unit, then handle.
CREATE INDEX accounts_by_unit ON accounts (unit, handle);

-- Postings of each entry, in entry order, with the account's balance right after the entry.
CREATE TABLE postings (
    seq           BIGINT   NOT NULL REFERENCES journal (seq),
    idx           INTEGER  NOT NULL CHECK (idx >= 0),
    account       TEXT     NOT NULL REFERENCES accounts (handle),
    unit          TEXT     NOT NULL REFERENCES units (code),
    delta         BIGINT   NOT NULL,
    balance_after BIGINT   NOT NULL,
    PRIMARY KEY (seq, idx)
);

-- An account's movements in order (statements, audits).
CREATE INDEX postings_by_account ON postings (account, seq);

-- Every entry that changed a handle's account or identity: drives per-account history. A handle
-- here may have no account (the `admin` identity), so there is no foreign key to `accounts`.
CREATE TABLE account_entries (
    handle TEXT   NOT NULL,
    seq    BIGINT NOT NULL REFERENCES journal (seq),
    PRIMARY KEY (handle, seq)
);

-- Roles of every handle that can sign (bits: admin 1, treasurer 2, steward 4, auditor 8).
CREATE TABLE identities (
    handle TEXT     PRIMARY KEY,
    roles  SMALLINT NOT NULL CHECK (roles BETWEEN 0 AND 15)
);

-- Every key ever registered. Revoked keys stay so they are never registered again.
CREATE TABLE keys (
    public_key BYTEA   PRIMARY KEY CHECK (length(public_key) = 32),
    handle     TEXT    NOT NULL REFERENCES identities (handle),
    revoked    BOOLEAN NOT NULL
);

-- A handle's active keys.
CREATE INDEX keys_by_handle ON keys (handle, revoked);
