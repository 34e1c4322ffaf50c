//! The signed-in person's own account: two-step verification (an authenticator app and recovery
//! codes) and their password. Every server function here acts on the caller alone, so it needs
//! a session and no scope; resetting someone else's second factor needs `users:write`.

#[cfg(feature = "ssr")]
pub mod domain;
mod page;
#[cfg(feature = "ssr")]
pub mod store;

pub use page::AccountPage;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::access::Change;
use crate::error::AppError;

/// What the account page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountSettings {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    /// Sign-in asks for an authenticator code.
    pub second_factor: bool,
    pub recovery_codes_left: i64,
    /// This deployment requires a second factor for console write scopes.
    pub second_factor_required: bool,
    /// Write scopes the caller holds that do not count in this session, for want of a second
    /// factor at sign-in.
    pub withheld_scopes: Vec<String>,
}

/// A new authenticator secret, to scan or type into an app.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Enrolment {
    /// Base32, in groups of four for reading.
    pub key: String,
    pub otpauth_uri: String,
    /// The URI as a QR code, an SVG `data:` URI for an `<img>`.
    pub qr_image: String,
}

/// Recovery codes, shown once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecoveryCodes {
    pub message: String,
    pub codes: Vec<String>,
}

#[cfg(feature = "ssr")]
async fn in_transaction<T, F>(work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnMut(
            &mut crate::storage::Tx,
            crate::access::domain::Actor,
            String,
            i64,
        ) -> futures::future::BoxFuture<'_, crate::error::AppResult<T>>
        + Clone
        + Send
        + Sync
        + 'static,
{
    use crate::server::context::{finish, signed_in};
    finish(
        async move {
            let (ctx, caller) = signed_in()?;
            let actor = ctx.actor(&caller);
            let (session_id, now) = (caller.session_id.clone(), ctx.now);
            ctx.state
                .db
                .write(|tx| {
                    let (mut work, actor, session_id) =
                        (work.clone(), actor.clone(), session_id.clone());
                    Box::pin(async move { work(tx, actor, session_id, now).await })
                })
                .await
        }
        .await,
    )
}

/// The caller's account and its security settings. Needs a session.
#[server(prefix = "/api", endpoint = "account/overview")]
pub async fn account_overview() -> Result<AccountSettings, AppError> {
    use crate::server::context::{finish, signed_in};
    finish(
        async move {
            let (ctx, caller) = signed_in()?;
            let mut tx = ctx.state.db.read().await?;
            let totp = store::totp(&mut tx, &caller.user_id).await?;
            let second_factor = totp.is_some_and(|t| t.confirmed_at.is_some());
            let recovery_codes_left = if second_factor {
                store::unused_recovery_codes(&mut tx, &caller.user_id).await?
            } else {
                0
            };
            Ok(AccountSettings {
                user_id: caller.user_id.clone(),
                username: caller.username.clone(),
                display_name: caller.display_name.clone(),
                second_factor,
                recovery_codes_left,
                second_factor_required: ctx.state.config.require_second_factor,
                withheld_scopes: caller.withheld.iter().cloned().collect(),
            })
        }
        .await,
    )
}

/// Starts setting up an authenticator app for the caller. Needs a session.
#[server(prefix = "/api", endpoint = "account/second-factor/start", input = Json)]
pub async fn start_second_factor() -> Result<Enrolment, AppError> {
    use crate::server::context::{finish, signed_in};
    finish(
        async move {
            let (ctx, caller) = signed_in()?;
            let (user_id, now) = (caller.user_id.clone(), ctx.now);
            let secret = ctx
                .state
                .db
                .write(|tx| {
                    let user_id = user_id.clone();
                    Box::pin(async move { domain::start_enrolment(tx, &user_id, now).await })
                })
                .await?;
            let otpauth_uri = secret.otpauth_uri(&ctx.state.config.totp_issuer(), &caller.username);
            let key = secret
                .base32()
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            Ok(Enrolment {
                qr_image: qr_data_uri(&otpauth_uri)?,
                key,
                otpauth_uri,
            })
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
fn qr_data_uri(text: &str) -> Result<String, AppError> {
    use base64::Engine;
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| {
        tracing::error!(error = %e, "could not draw a QR code");
        AppError::internal()
    })?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
}

/// Turns two-step verification on with the first code from the app; answers the recovery
/// codes, shown once. Needs a session.
#[server(prefix = "/api", endpoint = "account/second-factor/confirm", input = Json)]
pub async fn confirm_second_factor(code: String) -> Result<RecoveryCodes, AppError> {
    let codes = in_transaction(move |tx, actor, session_id, now| {
        let code = code.clone();
        Box::pin(
            async move { domain::confirm_enrolment(tx, &actor, &session_id, &code, now).await },
        )
    })
    .await?;
    tracing::info!("turned on two-step verification");
    Ok(RecoveryCodes {
        message: "Two-step verification is on. Sign-in now asks for a code from your app."
            .to_string(),
        codes,
    })
}

/// Turns two-step verification off, against a current code. Needs a session.
#[server(prefix = "/api", endpoint = "account/second-factor/disable", input = Json)]
pub async fn turn_off_second_factor(code: String) -> Result<Change, AppError> {
    in_transaction(move |tx, actor, session_id, now| {
        let code = code.clone();
        Box::pin(async move { domain::turn_off(tx, &actor, &session_id, &code, now).await })
    })
    .await
}

/// Replaces the caller's recovery codes, against a current code. Needs a session.
#[server(prefix = "/api", endpoint = "account/recovery-codes", input = Json)]
pub async fn renew_recovery_codes(code: String) -> Result<RecoveryCodes, AppError> {
    let codes = in_transaction(move |tx, actor, _, now| {
        let code = code.clone();
        Box::pin(async move { domain::new_recovery_codes(tx, &actor, &code, now).await })
    })
    .await?;
    Ok(RecoveryCodes {
        message: "New recovery codes are ready; the old ones no longer work.".to_string(),
        codes,
    })
}

/// Changes the caller's password: the current one first, then the new one under the password
/// policy. Other sessions of the caller end. Needs a session.
#[server(prefix = "/api", endpoint = "account/password", input = Json)]
pub async fn change_password(current: String, new: String) -> Result<Change, AppError> {
    use crate::auth::password;
    use crate::server::context::{finish, signed_in};
    use secrecy::SecretString;
    finish(
        async move {
            let (ctx, caller) = signed_in()?;
            let (current, new) = (SecretString::from(current), SecretString::from(new));
            password::check_policy(secrecy::ExposeSecret::expose_secret(&new))?;
            let stored = {
                let mut tx = ctx.state.db.read().await?;
                store::password_hash(&mut tx, &caller.user_id).await?
            };
            let Some(stored) = stored else {
                return Err(AppError::conflict(
                    "Your account has no password to change. Ask an administrator to set one.",
                ));
            };
            if !password::verify(current, Some(stored.clone()), &ctx.state.dummy_hash).await {
                tracing::warn!(user_id = %caller.user_id, "password change refused: wrong current password");
                return Err(AppError::invalid(
                    "Your current password is not right. Nothing was changed.",
                ));
            }
            let new_hash = password::hash(new).await?;
            let actor = ctx.actor(&caller);
            let (session_id, now) = (caller.session_id.clone(), ctx.now);
            let change = ctx
                .state
                .db
                .write(|tx| {
                    let (actor, session_id, stored, new_hash) = (
                        actor.clone(),
                        session_id.clone(),
                        stored.clone(),
                        new_hash.clone(),
                    );
                    Box::pin(async move {
                        domain::change_own_password(
                            tx,
                            &actor,
                            &session_id,
                            &stored,
                            &new_hash,
                            now,
                        )
                        .await
                    })
                })
                .await?;
            tracing::info!("changed their password");
            Ok(change)
        }
        .await,
    )
}

/// Removes a person's authenticator and recovery codes, for a lost phone. Needs `users:write`.
#[server(prefix = "/api", endpoint = "users/second-factor/reset", input = Json)]
pub async fn reset_second_factor(user_id: String) -> Result<Change, AppError> {
    crate::access::apply_change(
        crate::auth::Permission::UsersWrite,
        "reset a second factor",
        move |tx, actor, now| {
            let user_id = user_id.clone();
            Box::pin(async move { domain::reset(tx, &actor, &user_id, now).await })
        },
    )
    .await
}
