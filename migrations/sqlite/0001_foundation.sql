-- Tessera's foundation schema (SQLite). Times are Unix seconds (UTC). Ids are UUID strings.
-- Names a person would call equal regardless of case are unique on lower(name).

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    username      TEXT NOT NULL CHECK (length(username) BETWEEN 1 AND 64),
    display_name  TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 128),
    email         TEXT CHECK (email IS NULL OR length(email) BETWEEN 3 AND 254),
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    -- NULL: the user cannot sign in with a password (demo users, service accounts).
    password_hash TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX users_display_name_idx ON users (lower(display_name), id);
CREATE INDEX users_created_idx ON users (created_at, id);

CREATE TABLE access_groups (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX access_groups_name_key ON access_groups (lower(name));

CREATE TABLE scopes (
    name        TEXT PRIMARY KEY NOT NULL
                CHECK (length(name) BETWEEN 1 AND 128 AND name NOT GLOB '*[^a-z0-9:._-]*'),
    description TEXT NOT NULL DEFAULT '',
    builtin     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE roles (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    description TEXT NOT NULL DEFAULT '',
    builtin     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX roles_name_key ON roles (lower(name));

CREATE TABLE role_scopes (
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    scope   TEXT NOT NULL REFERENCES scopes (name) ON DELETE RESTRICT,
    PRIMARY KEY (role_id, scope)
);
CREATE INDEX role_scopes_scope_idx ON role_scopes (scope);

-- expires_at: NULL for "until removed"; otherwise the assignment counts while now < expires_at.
CREATE TABLE user_roles (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id    TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role_idx ON user_roles (role_id, user_id);

CREATE TABLE group_members (
    group_id   TEXT NOT NULL REFERENCES access_groups (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user_idx ON group_members (user_id, group_id);

CREATE TABLE group_roles (
    group_id   TEXT NOT NULL REFERENCES access_groups (id) ON DELETE CASCADE,
    role_id    TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, role_id)
);
CREATE INDEX group_roles_role_idx ON group_roles (role_id, group_id);

-- A console session. The cookie holds a random token; only its SHA-256 is stored.
CREATE TABLE sessions (
    id                  TEXT PRIMARY KEY NOT NULL,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash          TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    last_seen_at        BIGINT NOT NULL,
    idle_expires_at     BIGINT NOT NULL,
    absolute_expires_at BIGINT NOT NULL,
    revoked_at          BIGINT,
    ip_address          TEXT,
    user_agent          TEXT
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- The audit log. No foreign keys: an event outlives the user, group or role it names, so the
-- names are copied next to the ids. parent_id links the per-item events of a bulk operation.
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          BIGINT NOT NULL,
    actor_id    TEXT,
    actor_name  TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT,
    target_id   TEXT,
    target_name TEXT,
    parent_id   BIGINT REFERENCES audit_events (id),
    summary     TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '{}',
    request_id  TEXT
);
CREATE INDEX audit_events_at_idx ON audit_events (at, id);
CREATE INDEX audit_events_parent_idx ON audit_events (parent_id) WHERE parent_id IS NOT NULL;

-- Append-only: the schema itself refuses to change history.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
