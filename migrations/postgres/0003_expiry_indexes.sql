-- The expiry sweep looks for assignments whose end has passed; these keep that look cheap
-- however many assignments have no end.
CREATE INDEX user_roles_expiry_idx ON user_roles (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX group_members_expiry_idx ON group_members (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX group_roles_expiry_idx ON group_roles (expires_at) WHERE expires_at IS NOT NULL;
