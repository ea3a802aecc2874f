-- Commons Ledger, PostgreSQL schema 4: every transfer kind the product defines.
--
-- Bulk imports make transfers of kind `import`; the chamber and the clearing house will make
-- `contribution`, `levy`, `distribution` and `clearing` transfers.

ALTER TABLE transfers DROP CONSTRAINT transfers_kind_check;
ALTER TABLE transfers ADD CONSTRAINT transfers_kind_check
    CHECK (kind IN ('payment', 'request', 'reversal', 'import', 'contribution', 'levy', 'distribution', 'clearing'));
