//! The token issuer: applications (OAuth clients) managed in the console, and the OAuth 2.1 /
//! OpenID Connect endpoints that sign people into them with tokens carrying the scopes of their
//! roles and groups at the moment of issuance.

#[cfg(feature = "ssr")]
pub mod domain;
#[cfg(feature = "ssr")]
pub mod endpoints;
#[cfg(feature = "ssr")]
pub mod grants;
#[cfg(feature = "ssr")]
pub mod keys;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod tokens;

mod pages;

pub use pages::{ApplicationPage, ApplicationsPage};

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::access::Change;
use crate::error::AppError;

/// An application as the console shows it. Never carries its secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Application {
    pub client_id: String,
    pub name: String,
    /// Confidential: has a secret and a service account. Public: a browser or native app.
    pub confidential: bool,
    pub has_secret: bool,
    pub redirect_uris: Vec<String>,
    pub service_user_id: Option<String>,
    pub secret_rotated_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Live sessions people have with it.
    pub live_sessions: i64,
}

/// What an administrator fills in to create an application.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ApplicationInput {
    pub name: String,
    /// Empty: made from the name.
    #[serde(default)]
    pub client_id: String,
    pub confidential: bool,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
}

/// The applications, with what the caller may do and where Tessera's endpoints are.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Applications {
    pub items: Vec<Application>,
    pub can_write: bool,
    pub issuer: String,
    pub now: i64,
}

/// A created application or a rotated secret: the secret is in this answer and nowhere else.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecretIssued {
    pub change: Change,
    pub application: Application,
    pub secret: Option<String>,
}

/// Every application. Needs `clients:read`.
#[server(prefix = "/api", endpoint = "applications/list")]
pub async fn list_applications() -> Result<Applications, AppError> {
    use crate::auth::Permission;
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, caller) = authorize(Permission::ClientsRead)?;
            let mut tx = ctx.state.db.read().await?;
            Ok(Applications {
                items: store::applications(&mut tx, ctx.now).await?,
                can_write: caller.has(Permission::ClientsWrite),
                issuer: ctx.state.config.issuer().to_string(),
                now: ctx.now,
            })
        }
        .await,
    )
}

/// One application (in `items`, alone). Needs `clients:read`.
#[server(prefix = "/api", endpoint = "applications/get")]
pub async fn get_application(client_id: String) -> Result<Applications, AppError> {
    use crate::auth::Permission;
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, caller) = authorize(Permission::ClientsRead)?;
            let mut tx = ctx.state.db.read().await?;
            Ok(Applications {
                items: vec![store::application(&mut tx, &client_id, ctx.now).await?],
                can_write: caller.has(Permission::ClientsWrite),
                issuer: ctx.state.config.issuer().to_string(),
                now: ctx.now,
            })
        }
        .await,
    )
}

/// Runs an application change that issues a secret, as `apply_change` does for the others.
#[cfg(feature = "ssr")]
async fn issue<F>(what: &'static str, work: F) -> Result<SecretIssued, AppError>
where
    F: FnMut(
            &mut crate::storage::Tx,
            crate::access::domain::Actor,
            i64,
        ) -> futures::future::BoxFuture<'_, crate::error::AppResult<domain::Issued>>
        + Clone
        + Send
        + Sync
        + 'static,
{
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, caller) = authorize(crate::auth::Permission::ClientsWrite)?;
            let actor = ctx.actor(&caller);
            let now = ctx.now;
            let issued = ctx
                .state
                .db
                .write(|tx| {
                    let (mut work, actor) = (work.clone(), actor.clone());
                    Box::pin(async move { work(tx, actor, now).await })
                })
                .await?;
            tracing::info!(actor = %actor.id, client_id = %issued.application.client_id, "{what}");
            Ok(SecretIssued {
                change: issued.change,
                application: issued.application,
                secret: issued.secret,
            })
        }
        .await,
    )
}

/// Creates an application; a confidential one's secret is in the answer, once. Needs
/// `clients:write`.
#[server(prefix = "/api", endpoint = "applications/create", input = Json)]
pub async fn create_application(input: ApplicationInput) -> Result<SecretIssued, AppError> {
    issue("created an application", move |tx, actor, now| {
        let input = input.clone();
        Box::pin(async move { domain::create(tx, &actor, &input, now).await })
    })
    .await
}

/// Replaces an application's secret; the new one is in the answer, once, and the old one stops
/// working at once. Needs `clients:write`.
#[server(prefix = "/api", endpoint = "applications/rotate-secret", input = Json)]
pub async fn rotate_application_secret(client_id: String) -> Result<SecretIssued, AppError> {
    issue("rotated an application secret", move |tx, actor, now| {
        let client_id = client_id.clone();
        Box::pin(async move { domain::rotate_secret(tx, &actor, &client_id, now).await })
    })
    .await
}

/// Renames an application and sets its redirect URIs. Needs `clients:write`.
#[server(prefix = "/api", endpoint = "applications/update", input = Json)]
pub async fn update_application(
    client_id: String,
    name: String,
    redirect_uris: Vec<String>,
) -> Result<Change, AppError> {
    crate::access::apply_change(
        crate::auth::Permission::ClientsWrite,
        "edited an application",
        move |tx, actor, now| {
            let (client_id, name, uris) = (client_id.clone(), name.clone(), redirect_uris.clone());
            Box::pin(async move { domain::update(tx, &actor, &client_id, &name, &uris, now).await })
        },
    )
    .await
}

/// Deletes an application, its sessions and its service account. Needs `clients:write`.
#[server(prefix = "/api", endpoint = "applications/delete", input = Json)]
pub async fn delete_application(client_id: String) -> Result<Change, AppError> {
    crate::access::apply_change(
        crate::auth::Permission::ClientsWrite,
        "deleted an application",
        move |tx, actor, now| {
            let client_id = client_id.clone();
            Box::pin(async move { domain::delete(tx, &actor, &client_id, now).await })
        },
    )
    .await
}
