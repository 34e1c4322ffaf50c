//! Integration tests: the real router in process, on SQLite and on PostgreSQL.

mod harness;
mod invariants;

mod access;
mod assignments;
mod audit;
mod authorization;
mod bulk;
mod concurrency;
mod fuzz;
mod oauth;
mod operations;
mod people;
mod processes;
mod properties;
mod roles;
mod scopes;
mod second_factor;
mod sessions;
mod sign_in;
mod storage;
mod throttle;
mod user_list;
