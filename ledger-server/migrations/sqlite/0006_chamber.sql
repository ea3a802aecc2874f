-- Commons Ledger, Sqlite schema 6: the chamber of the commons' registry and declarations.
--
-- Both tables project entries (`commons`, `declaration`, `validation`, `refusal`) and are
-- written in the same transaction as them; the journal stays the truth.

CREATE TABLE commons (
    -- The registry name, a slug: declarations name the commons by it.
    name         TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL,
    description  TEXT    NOT NULL,
    rules_of_use TEXT    NOT NULL,
    -- Handles of its stewards, in ascending order, separated by ','; a handle never holds one.
    stewards     TEXT    NOT NULL CHECK (stewards <> '')
) STRICT, WITHOUT ROWID;

CREATE TABLE declarations (
    -- The request id of the command that declared it.
    id          BLOB    PRIMARY KEY CHECK (length(id) = 16),
    contributor TEXT    NOT NULL REFERENCES accounts (handle),
    commons     TEXT    NOT NULL REFERENCES commons (name),
    category    TEXT    NOT NULL,
    -- Exact thousandths of a unit of work.
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    -- 'YYYY-MM', which sorts like the period.
    period      TEXT    NOT NULL CHECK (length(period) = 7),
    note        TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'validated', 'refused'))
) STRICT, WITHOUT ROWID;

-- A steward's view: one commons' declarations of a period, by status.
CREATE INDEX declarations_by_commons ON declarations (commons, period, status, id);
-- A member's view: their own declarations.
CREATE INDEX declarations_by_contributor ON declarations (contributor, id);
