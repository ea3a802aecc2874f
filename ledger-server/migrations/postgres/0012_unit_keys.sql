-- Commons Ledger, PostgreSQL schema 12: a posting's and a transfer's accounts are checked with
-- their unit, in one foreign key each.
--
-- PostgreSQL checks every foreign key of every row inserted with a trigger of its own, and those
-- triggers were most of the time a payment's postings and transfer took to insert: a payment
-- checked seven accounts or units (its transfer's payer, payee and unit, each of its two
-- postings' account and unit), now four. A key on (unit, handle) checks the account and its unit
-- at once, and says more than the keys it replaces: a posting, a payer or a payee is of an
-- account that holds the posting's or the transfer's unit (the unit itself exists, by
-- `accounts_unit_fkey`).
--
-- An account's unit never changes, so the unique index is written when an account opens, never
-- when its balance moves; it replaces `accounts_by_unit` (the same columns, which served the
-- listing of a unit's accounts and still does).

CREATE UNIQUE INDEX accounts_by_unit_unique ON accounts (unit, handle);
DROP INDEX accounts_by_unit;
ALTER INDEX accounts_by_unit_unique RENAME TO accounts_by_unit;

ALTER TABLE postings
    DROP CONSTRAINT postings_account_fkey,
    DROP CONSTRAINT postings_unit_fkey,
    ADD CONSTRAINT postings_account_of_unit_fkey FOREIGN KEY (unit, account) REFERENCES accounts (unit, handle);

ALTER TABLE transfers
    DROP CONSTRAINT transfers_payer_fkey,
    DROP CONSTRAINT transfers_payee_fkey,
    DROP CONSTRAINT transfers_unit_fkey,
    ADD CONSTRAINT transfers_payer_of_unit_fkey FOREIGN KEY (unit, payer) REFERENCES accounts (unit, handle),
    ADD CONSTRAINT transfers_payee_of_unit_fkey FOREIGN KEY (unit, payee) REFERENCES accounts (unit, handle);
