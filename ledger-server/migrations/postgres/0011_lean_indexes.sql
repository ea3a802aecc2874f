-- Commons Ledger, PostgreSQL schema 11: indexes a payment does not need are not written by one.
--
-- Every payment inserts a transfer and postings, so each of their secondary indexes costs a write
-- at a random place per payment.
-- - `postings_by_account` served no query: histories and statements go through
--   `account_entries`, postings are read by entry.
-- - Only pending requests are looked up by payer or payee, so those two indexes now hold pending
--   transfers alone: a payment, committed at once, never enters them, and an answered request
--   leaves them.

DROP INDEX postings_by_account;

DROP INDEX transfers_pending_by_payer;
DROP INDEX transfers_pending_by_payee;
CREATE INDEX transfers_pending_by_payer ON transfers (payer, id) WHERE status = 'pending';
CREATE INDEX transfers_pending_by_payee ON transfers (payee, id) WHERE status = 'pending';
