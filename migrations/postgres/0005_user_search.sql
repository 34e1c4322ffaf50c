-- Searching users by any part of their username, display name or email: trigram indexes, so
-- `LIKE '%mith%'` finds Smith among a million people without reading them all. pg_trgm ships
-- with PostgreSQL and is a trusted extension (PostgreSQL 13+); it is installed once per
-- database, in `public`, however many schemas use it.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE INDEX users_username_trgm ON users USING gin (lower(username) public.gin_trgm_ops);
CREATE INDEX users_display_name_trgm ON users USING gin (lower(display_name) public.gin_trgm_ops);
CREATE INDEX users_email_trgm ON users USING gin (lower(coalesce(email, '')) public.gin_trgm_ops);
