-- +goose Up
-- A request's first attempt claims its key with a lease; a retry may take
-- over a key whose attempt outlived its lease (the process was killed or
-- lost the database). Stores that create something write a commit row in
-- the same transaction, so a retry can tell whether the work was done.
-- Keys were stored as sent; they are now stored as an HMAC, so the rows of
-- before cannot be matched any more.
DELETE FROM idempotency_keys;
ALTER TABLE idempotency_keys ADD COLUMN attempt TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN lease_until TIMESTAMPTZ;

-- The commit row holds no time finer than the day and nothing that names
-- the caller: it shares a transaction with, say, an anonymous response.
CREATE TABLE idempotency_commits (
    id          TEXT PRIMARY KEY,
    resource_id TEXT NOT NULL,
    created_on  TEXT NOT NULL
);
CREATE INDEX idempotency_commits_created ON idempotency_commits (created_on);

-- +goose Down
DROP TABLE idempotency_commits;
ALTER TABLE idempotency_keys DROP COLUMN lease_until;
ALTER TABLE idempotency_keys DROP COLUMN attempt;
