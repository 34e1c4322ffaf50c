-- The user list shows how many people there are on every page. Counting a million rows costs
-- tens of milliseconds each time; a counter kept by triggers costs nothing to read.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) SELECT 'users', COUNT(*) FROM users;
CREATE TRIGGER users_count_insert AFTER INSERT ON users
BEGIN
    UPDATE counters SET value = value + 1 WHERE name = 'users';
END;
CREATE TRIGGER users_count_delete AFTER DELETE ON users
BEGIN
    UPDATE counters SET value = value - 1 WHERE name = 'users';
END;
