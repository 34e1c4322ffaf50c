//! Tessera: an identity admin console and token issuer.
//!
//! One crate, compiled twice: with `ssr` it is the server (axum, sqlx, the domain rules); with
//! `hydrate` it is the WebAssembly that makes the server-rendered pages interactive. Each product
//! area has its own folder holding its shared types, its server functions, its pages and, behind
//! `ssr`, its storage code.

pub mod access;
pub mod account;
pub mod app;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod error;
pub mod groups;
pub mod oauth;
pub mod roles;
pub mod scopes;
pub mod sessions;
pub mod ui;
pub mod users;

#[cfg(feature = "ssr")]
pub mod seed;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod setup;
#[cfg(feature = "ssr")]
pub mod storage;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
