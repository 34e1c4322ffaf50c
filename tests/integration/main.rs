//! Integration tests: the real router in process, on SQLite and on PostgreSQL.

mod harness;

mod access;
mod assignments;
mod audit;
mod bulk;
mod oauth;
mod people;
mod properties;
mod roles;
mod scopes;
mod sessions;
mod sign_in;
mod storage;
mod user_list;
