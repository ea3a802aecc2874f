-- Commons Ledger, SQLite schema 1.
--
-- `journal` is the source of truth: one row per entry, hash-chained. `postings` and
-- `account_entries` project it per account; `units`, `accounts`, `identities` and `keys` hold the
-- current state, rewritten in the same transaction as the entries that changed them.
-- Money is in integer minor units; hashes, keys, ids and signatures are raw bytes.
-- Tables are STRICT so a value of the wrong type is refused, never coerced.

-- The ledger's identity: exactly one row, written with the genesis entry.
CREATE TABLE ledger_meta (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    ledger_id BLOB    NOT NULL CHECK (length(ledger_id) = 16),
    node_key  BLOB    NOT NULL CHECK (length(node_key) = 32)
) STRICT;

-- The journal. `seq` is the rowid: gapless from 1, appended in order.
CREATE TABLE journal (
    seq          INTEGER PRIMARY KEY CHECK (seq >= 1),
    request_id   BLOB    NOT NULL UNIQUE CHECK (length(request_id) = 16),
    timestamp_ms INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    -- The signed canonical bytes of the command.
    command      BLOB    NOT NULL,
    -- Concatenated pairs of public key (32 bytes) and signature (64 bytes).
    signatures   BLOB    NOT NULL CHECK (length(signatures) % 96 = 0),
    prev_hash    BLOB    NOT NULL CHECK (length(prev_hash) = 32),
    hash         BLOB    NOT NULL CHECK (length(hash) = 32)
) STRICT;

CREATE TABLE units (
    code  TEXT    PRIMARY KEY,
    scale INTEGER NOT NULL CHECK (scale BETWEEN 0 AND 6),
    name  TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE accounts (
    handle       TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL CHECK (kind IN ('member', 'business', 'system')),
    unit         TEXT    NOT NULL REFERENCES units (code),
    name         TEXT    NOT NULL,
    balance      INTEGER NOT NULL,
    credit_limit INTEGER NOT NULL CHECK (credit_limit >= 0),
    -- NULL: no ceiling but the ledger-wide bound.
    ceiling      INTEGER CHECK (ceiling >= 0),
    -- NULL: no soft limit.
    soft_limit   INTEGER CHECK (soft_limit >= 0),
    status       TEXT    NOT NULL CHECK (status IN ('active', 'frozen', 'closed'))
) STRICT, WITHOUT ROWID;

-- Balances are listed per unit, then handle.
CREATE INDEX accounts_by_unit ON accounts (unit, handle);

-- Postings of each entry, in entry order, with the account's balance right after the entry.
CREATE TABLE postings (
    seq           INTEGER NOT NULL REFERENCES journal (seq),
    idx           INTEGER NOT NULL CHECK (idx >= 0),
    account       TEXT    NOT NULL REFERENCES accounts (handle),
    unit          TEXT    NOT NULL REFERENCES units (code),
    delta         INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    PRIMARY KEY (seq, idx)
) STRICT, WITHOUT ROWID;

-- An account's movements in order (statements, audits).
CREATE INDEX postings_by_account ON postings (account, seq);

-- Every entry that changed a handle's account or identity: drives per-account history. A handle
-- here may have no account (the `admin` identity), so there is no foreign key to `accounts`.
CREATE TABLE account_entries (
    handle TEXT    NOT NULL,
    seq    INTEGER NOT NULL REFERENCES journal (seq),
    PRIMARY KEY (handle, seq)
) STRICT, WITHOUT ROWID;

-- Roles of every handle that can sign (bits: admin 1, treasurer 2, steward 4, auditor 8).
CREATE TABLE identities (
    handle TEXT    PRIMARY KEY,
    roles  INTEGER NOT NULL CHECK (roles BETWEEN 0 AND 15)
) STRICT, WITHOUT ROWID;

-- Every key ever registered. Revoked keys stay so they are never registered again.
CREATE TABLE keys (
    public_key BLOB    PRIMARY KEY CHECK (length(public_key) = 32),
    handle     TEXT    NOT NULL REFERENCES identities (handle),
    revoked    INTEGER NOT NULL CHECK (revoked IN (0, 1))
) STRICT, WITHOUT ROWID;

-- A handle's active keys.
CREATE INDEX keys_by_handle ON keys (handle, revoked);
