-- Failed sign-ins, counted per account and per account from one address, so that guessing
-- slows down without letting anyone lock a real person out for long. Keys are the typed
-- username (lower-cased, whether or not such a user exists) and that plus the client address.
CREATE TABLE sign_in_failures (
    key               TEXT PRIMARY KEY NOT NULL,
    failures          INTEGER NOT NULL,
    last_failure_at   BIGINT NOT NULL,
    blocked_until     BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_last_idx ON sign_in_failures (last_failure_at);
