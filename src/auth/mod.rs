//! Signing in and out, console sessions, passwords and the permissions they unlock.

mod pages;
pub mod permission;

#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod throttle;
#[cfg(feature = "ssr")]
pub mod totp;

pub use pages::{SecondFactorPage, SignInPage};
pub use permission::Permission;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The signed-in person as the console shows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignedInUser {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    /// The console permissions the caller's current scopes grant.
    pub permissions: Vec<Permission>,
    /// Console write scopes the caller holds but that do not count until they sign in with a
    /// second factor (where the deployment requires one).
    pub needs_second_factor: bool,
}

/// Who is signed in. Needs a session, no particular scope.
#[server(prefix = "/api", endpoint = "me")]
pub async fn me() -> Result<SignedInUser, AppError> {
    use crate::server::context::{finish, signed_in};
    finish(signed_in().map(|(_, caller)| {
        SignedInUser {
            user_id: caller.user_id.clone(),
            username: caller.username.clone(),
            display_name: caller.display_name.clone(),
            permissions: Permission::ALL
                .into_iter()
                .filter(|p| caller.has(*p))
                .collect(),
            needs_second_factor: !caller.withheld.is_empty(),
        }
    }))
}
