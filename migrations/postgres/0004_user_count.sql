-- The user list shows how many people there are on every page. Counting a million rows costs
-- tens of milliseconds each time; a counter kept by triggers costs nothing to read. Statement
-- triggers with transition tables: one update per statement, however many rows it inserts.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) SELECT 'users', COUNT(*) FROM users;

CREATE FUNCTION users_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE counters SET value = value + (SELECT COUNT(*) FROM inserted) WHERE name = 'users';
    RETURN NULL;
END;
$$;
CREATE FUNCTION users_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE counters SET value = value - (SELECT COUNT(*) FROM deleted) WHERE name = 'users';
    RETURN NULL;
END;
$$;
CREATE TRIGGER users_count_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION users_count_inserted();
CREATE TRIGGER users_count_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION users_count_deleted();
