-- The token issuer: applications (OAuth clients), signing keys, authorization codes, refresh
-- tokens, and application sessions. Times are Unix seconds (UTC).

INSERT INTO scopes (name, description, builtin, created_at) VALUES
    ('clients:read', 'See applications and their redirect URIs', TRUE, 0),
    ('clients:write', 'Create, edit and delete applications and rotate their secrets', TRUE, 0);
INSERT INTO role_scopes (role_id, scope) VALUES
    ('00000000-0000-4000-8000-000000000001', 'clients:read'),
    ('00000000-0000-4000-8000-000000000001', 'clients:write');

-- An application that signs its users in through Tessera. A confidential client has a secret
-- (only its SHA-256 is kept: secrets are 256 random bits, not passwords) and a service account,
-- an ordinary user without a password, whose roles its client-credentials tokens carry.
CREATE TABLE oauth_clients (
    client_id         TEXT PRIMARY KEY NOT NULL
                      CHECK (length(client_id) BETWEEN 3 AND 48
                             AND client_id ~ '^[a-z0-9._-]+$'),
    name              TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    confidential      BOOLEAN NOT NULL,
    secret_hash       TEXT,
    -- A JSON array of exact redirect URIs.
    redirect_uris     TEXT NOT NULL DEFAULT '[]',
    service_user_id   TEXT REFERENCES users (id) ON DELETE SET NULL,
    secret_rotated_at BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX oauth_clients_name_key ON oauth_clients (lower(name));
CREATE UNIQUE INDEX oauth_clients_service_user_key ON oauth_clients (service_user_id)
    WHERE service_user_id IS NOT NULL;

-- A session is a console session (client_id NULL, token_hash from the cookie) or an application
-- session started by an authorization code (client_id set; token_hash is 'app:' || id, which no
-- cookie hashes to, so it cannot be presented as a console session).
ALTER TABLE sessions ADD COLUMN client_id TEXT REFERENCES oauth_clients (client_id) ON DELETE CASCADE;
-- The scopes the application asked for (space-separated), kept to narrow every refresh.
ALTER TABLE sessions ADD COLUMN requested_scope TEXT;
ALTER TABLE sessions ADD COLUMN auth_time BIGINT;

-- Signing keys, shared by every instance. One is active (signs); retired keys stay published in
-- the JWKS until publish_until, after the last token they signed has expired.
CREATE TABLE signing_keys (
    kid           TEXT PRIMARY KEY NOT NULL,
    alg           TEXT NOT NULL,
    -- NOTE: the private key is stored as it is (PKCS#8, base64): whoever can read the database can
    -- sign tokens. Wrapping it with a key-encryption key from the environment is future work.
    private_pkcs8 TEXT NOT NULL,
    public_x      TEXT NOT NULL,
    active        BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL,
    retired_at    BIGINT,
    publish_until BIGINT
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (active) WHERE active = TRUE;

-- Authorization codes: single use, a minute long, bound to client, redirect URI and PKCE
-- challenge. Only the SHA-256 is kept. session_id names the application session the code was
-- exchanged for, so that a second use can end it (RFC 6749 §4.1.2).
CREATE TABLE oauth_codes (
    code_hash      TEXT PRIMARY KEY NOT NULL,
    client_id      TEXT NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    scope          TEXT NOT NULL,
    nonce          TEXT,
    auth_time      BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT,
    session_id     TEXT
);
CREATE INDEX oauth_codes_expires_idx ON oauth_codes (expires_at);

-- Refresh tokens: opaque, stored hashed, bound to their session and client, rotated on use.
-- A used token stays (used_at set) so that presenting it again is recognised as reuse.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Access tokens revoked before their expiry that belong to no session (client credentials).
-- Tokens of a session are revoked by ending the session.
CREATE TABLE revoked_access_tokens (
    jti        TEXT PRIMARY KEY NOT NULL,
    expires_at BIGINT NOT NULL
);
