-- Searching users by any part of their username, display name or email: a trigram full-text
-- index, so "mith" finds Smith among a million people without reading them all. Its rows are
-- keyed by `doc`, an integer of our own mapped to the user id: users have a text primary key,
-- and VACUUM may renumber the implicit rowids of such a table.
CREATE TABLE users_search_ids (
    doc     INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE
);
CREATE VIRTUAL TABLE users_search USING fts5(username, display_name, email, tokenize = 'trigram');

INSERT INTO users_search_ids (user_id) SELECT id FROM users;
INSERT INTO users_search (rowid, username, display_name, email)
    SELECT m.doc, u.username, u.display_name, u.email
    FROM users u JOIN users_search_ids m ON m.user_id = u.id;

CREATE TRIGGER users_search_insert AFTER INSERT ON users
BEGIN
    INSERT INTO users_search_ids (user_id) VALUES (new.id);
    INSERT INTO users_search (rowid, username, display_name, email)
        VALUES ((SELECT doc FROM users_search_ids WHERE user_id = new.id),
                new.username, new.display_name, new.email);
END;
CREATE TRIGGER users_search_update AFTER UPDATE OF username, display_name, email ON users
BEGIN
    DELETE FROM users_search WHERE rowid = (SELECT doc FROM users_search_ids WHERE user_id = old.id);
    INSERT INTO users_search (rowid, username, display_name, email)
        VALUES ((SELECT doc FROM users_search_ids WHERE user_id = new.id),
                new.username, new.display_name, new.email);
END;
CREATE TRIGGER users_search_delete BEFORE DELETE ON users
BEGIN
    DELETE FROM users_search WHERE rowid = (SELECT doc FROM users_search_ids WHERE user_id = old.id);
END;
