-- Tessera guards itself with its own model: one built-in scope per console capability and a
-- built-in Administrator role that grants them all. The scope names must match
-- `Permission::scope` in src/auth/permission.rs (a test checks it).
INSERT INTO scopes (name, description, builtin, created_at) VALUES
    ('users:read', 'See users, their groups, roles and access', TRUE, 0),
    ('users:write', 'Create, edit, disable and enable users', TRUE, 0),
    ('groups:read', 'See groups and their members and roles', TRUE, 0),
    ('groups:write', 'Create and edit groups and their members', TRUE, 0),
    ('roles:read', 'See roles, scopes and who holds them', TRUE, 0),
    ('roles:write', 'Create and edit roles and scopes, and assign roles', TRUE, 0),
    ('sessions:revoke', 'See and end other people''s sessions', TRUE, 0),
    ('audit:read', 'Read and export the audit log', TRUE, 0);

INSERT INTO roles (id, name, description, builtin, created_at) VALUES
    ('00000000-0000-4000-8000-000000000001', 'Administrator',
     'Full control of the Tessera console', TRUE, 0);

INSERT INTO role_scopes (role_id, scope)
    SELECT '00000000-0000-4000-8000-000000000001', name FROM scopes WHERE builtin = TRUE;
