-- Commons Ledger, PostgreSQL schema 8: businesses' agreements with the chamber.
--
-- `agreements` projects the agreement in force for each business, written in the same
-- transaction as the `agreement` entry that set it; earlier versions are those entries, in the
-- business's history. Levies and contributions are rows of `transfers` (kinds `levy` and
-- `contribution`, allowed since schema 4).

CREATE TABLE agreements (
    business       TEXT    PRIMARY KEY REFERENCES accounts (handle),
    -- The business's unit, and so which fund it contributes to.
    unit           TEXT    NOT NULL REFERENCES units (code),
    -- The levy on payments it receives, in basis points (250 is 2.5 %).
    levy_bp        BIGINT  NOT NULL CHECK (levy_bp BETWEEN 0 AND 10000),
    -- The recurring contribution per period, in minor units of the unit; none if absent.
    recurring      BIGINT  CHECK (recurring > 0),
    -- 'YYYY-MM': the first period the terms apply to.
    effective_from TEXT    NOT NULL CHECK (length(effective_from) = 7),
    CHECK (levy_bp > 0 OR recurring IS NOT NULL)
);
