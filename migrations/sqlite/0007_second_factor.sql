-- A second factor for the console: TOTP (RFC 6238) with recovery codes, and sign-ins that wait
-- for it. Times are Unix seconds (UTC).

-- One authenticator per person. confirmed_at is NULL while enrolment waits for the first code;
-- an unconfirmed secret asks nothing at sign-in. last_step is the last 30-second step accepted,
-- so that no code works twice.
-- NOTE: the secret is stored as it is (hex), like the signing keys: whoever can read the
-- database can compute codes. Wrapping it with a key from the environment is future work.
CREATE TABLE totp_credentials (
    user_id      TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret       TEXT NOT NULL CHECK (length(secret) BETWEEN 32 AND 128),
    confirmed_at BIGINT,
    last_step    BIGINT,
    created_at   BIGINT NOT NULL
);

-- Single-use codes for a lost authenticator; only their SHA-256 is kept.
CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- A sign-in whose password was right, waiting for the second factor. The browser holds a
-- random token in a short-lived cookie; only its SHA-256 is kept. A few wrong codes end it.
CREATE TABLE sign_in_challenges (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sign_in_challenges_expires_idx ON sign_in_challenges (expires_at);

-- Whether the session's sign-in passed a second factor; an application session inherits it
-- from the console session that authorized it. Where a deployment requires a second factor,
-- console write scopes count only in sessions that have one.
ALTER TABLE sessions ADD COLUMN second_factor BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE oauth_codes ADD COLUMN second_factor BOOLEAN NOT NULL DEFAULT FALSE;
