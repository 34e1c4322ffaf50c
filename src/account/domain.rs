//! A person's own security: setting up, using and turning off two-step verification, recovery
//! codes, and changing their password; and an administrator's reset of someone's second factor.
//! Each use case runs in the caller's transaction and writes its audit event beside the change.

use super::store;
use crate::access::domain::{record, Actor, Event};
use crate::access::{store as access, Change};
use crate::auth::totp::{self, TotpSecret};
use crate::error::{AppError, AppResult};
use crate::storage::Tx;

/// How a sign-in's second factor was shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Factor {
    Totp,
    RecoveryCode,
}

impl Factor {
    pub fn words(self) -> &'static str {
        match self {
            Factor::Totp => "an authenticator code",
            Factor::RecoveryCode => "a recovery code",
        }
    }
}

const WRONG_CODE: &str =
    "That code is not right. Enter the code your authenticator app shows now, or a recovery code.";

/// Checks and uses up a six-digit code or a recovery code of `user_id`: a code works once.
/// `None` when it is neither.
pub async fn use_second_factor(
    tx: &mut Tx,
    user_id: &str,
    input: &str,
    now: i64,
) -> AppResult<Option<Factor>> {
    let Some(row) = store::totp(tx, user_id)
        .await?
        .filter(|t| t.confirmed_at.is_some())
    else {
        return Ok(None);
    };
    if totp::looks_like_recovery_code(input) {
        let hash = totp::hash_recovery_code(input);
        return Ok(store::use_recovery_code(tx, user_id, &hash, now)
            .await?
            .then_some(Factor::RecoveryCode));
    }
    let Some(secret) = TotpSecret::from_hex(&row.secret) else {
        tracing::error!(%user_id, "a stored authenticator secret is unreadable");
        return Err(AppError::internal());
    };
    match secret.verify(input, now, row.last_step) {
        Some(step) if store::use_totp_step(tx, user_id, step).await? => Ok(Some(Factor::Totp)),
        _ => Ok(None),
    }
}

/// A new, unconfirmed authenticator secret for the caller. Nothing changes at sign-in until
/// [`confirm_enrolment`] proves the app shows the right codes.
pub async fn start_enrolment(tx: &mut Tx, user_id: &str, now: i64) -> AppResult<TotpSecret> {
    if store::has_second_factor(tx, user_id).await? {
        return Err(AppError::conflict(
            "Two-step verification is already on. Turn it off first to set up another app.",
        ));
    }
    let secret = TotpSecret::generate();
    store::put_pending_totp(tx, user_id, &secret.hex(), now).await?;
    Ok(secret)
}

/// Turns two-step verification on once the first code checks out; returns the recovery codes,
/// shown this once. The session doing it counts as verified from now on.
pub async fn confirm_enrolment(
    tx: &mut Tx,
    actor: &Actor,
    session_id: &str,
    code: &str,
    now: i64,
) -> AppResult<Vec<String>> {
    let row = match store::totp(tx, &actor.id).await? {
        Some(row) if row.confirmed_at.is_some() => {
            return Err(AppError::conflict("Two-step verification is already on."))
        }
        Some(row) => row,
        None => {
            return Err(AppError::invalid(
                "Start setting up two-step verification first: there is no code to check yet.",
            ))
        }
    };
    let secret = TotpSecret::from_hex(&row.secret).ok_or_else(AppError::internal)?;
    let Some(step) = secret.verify(code, now, None) else {
        return Err(AppError::invalid(
            "That code is not right. Check that your phone's clock is set automatically, then \
             enter the code the app shows now.",
        ));
    };
    store::confirm_totp(tx, &actor.id, step, now).await?;
    let codes = totp::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| totp::hash_recovery_code(c)).collect();
    store::replace_recovery_codes(tx, &actor.id, &hashes, now).await?;
    store::set_session_second_factor(tx, session_id, true).await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "user.second_factor.enable",
            target_type: "user",
            target_id: &actor.id,
            target_name: &actor.name,
            summary: format!("{} turned on two-step verification", actor.name),
            details: serde_json::json!({ "method": "totp", "recovery_codes": codes.len() }),
        },
    )
    .await?;
    Ok(codes)
}

/// Turns the caller's two-step verification off; it takes a current code (or a recovery code),
/// so that a console left open is not enough.
pub async fn turn_off(
    tx: &mut Tx,
    actor: &Actor,
    session_id: &str,
    code: &str,
    now: i64,
) -> AppResult<Change> {
    if !store::has_second_factor(tx, &actor.id).await? {
        return Ok(Change::unchanged(
            "Two-step verification is already off.".into(),
        ));
    }
    let Some(factor) = use_second_factor(tx, &actor.id, code, now).await? else {
        return Err(AppError::invalid(WRONG_CODE));
    };
    store::delete_second_factor(tx, &actor.id).await?;
    store::set_session_second_factor(tx, session_id, false).await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "user.second_factor.disable",
            target_type: "user",
            target_id: &actor.id,
            target_name: &actor.name,
            summary: format!(
                "{} turned off two-step verification (confirmed with {})",
                actor.name,
                factor.words()
            ),
            details: serde_json::json!({}),
        },
    )
    .await?;
    Ok(Change::ended(
        "Two-step verification is off. Sign-in asks for your password only.".into(),
    ))
}

/// New recovery codes in place of the old ones (used or not), against a current code.
pub async fn new_recovery_codes(
    tx: &mut Tx,
    actor: &Actor,
    code: &str,
    now: i64,
) -> AppResult<Vec<String>> {
    if !store::has_second_factor(tx, &actor.id).await? {
        return Err(AppError::conflict(
            "Two-step verification is off, so there are no recovery codes to replace.",
        ));
    }
    if use_second_factor(tx, &actor.id, code, now).await?.is_none() {
        return Err(AppError::invalid(WRONG_CODE));
    }
    let codes = totp::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| totp::hash_recovery_code(c)).collect();
    store::replace_recovery_codes(tx, &actor.id, &hashes, now).await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "user.second_factor.recovery_codes",
            target_type: "user",
            target_id: &actor.id,
            target_name: &actor.name,
            summary: format!("{} replaced their recovery codes", actor.name),
            details: serde_json::json!({ "recovery_codes": codes.len() }),
        },
    )
    .await?;
    Ok(codes)
}

/// An administrator removes someone's authenticator (a lost phone): their next sign-in asks
/// for the password only, and they can set up a new app.
pub async fn reset(tx: &mut Tx, actor: &Actor, user_id: &str, now: i64) -> AppResult<Change> {
    let user = access::user(tx, user_id).await?;
    if !store::delete_second_factor(tx, &user.id).await? {
        return Ok(Change::unchanged(format!(
            "{} has no two-step verification to reset; nothing changed.",
            user.display_name
        )));
    }
    record(
        tx,
        actor,
        now,
        Event {
            action: "user.second_factor.reset",
            target_type: "user",
            target_id: &user.id,
            target_name: &user.username,
            summary: format!(
                "{} reset the two-step verification of {}",
                actor.name, user.username
            ),
            details: serde_json::json!({}),
        },
    )
    .await?;
    Ok(Change::ended(format!(
        "Reset two-step verification for {}. Their next sign-in asks for the password only; \
         they should set up their app again from their account page.",
        user.display_name
    )))
}

/// Stores a new password hash for the caller, provided the stored one is still `expected` (the
/// one the current password was checked against), and ends their other sessions.
pub async fn change_own_password(
    tx: &mut Tx,
    actor: &Actor,
    session_id: &str,
    expected: &str,
    new_hash: &str,
    now: i64,
) -> AppResult<Change> {
    if store::password_hash(tx, &actor.id).await?.as_deref() != Some(expected) {
        return Err(AppError::conflict(
            "Your password was changed meanwhile. Nothing was changed; sign in again.",
        ));
    }
    crate::users::store::set_password_hash(tx, &actor.id, new_hash, now).await?;
    let ended = store::revoke_other_sessions(tx, &actor.id, session_id, now).await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "user.password.change",
            target_type: "user",
            target_id: &actor.id,
            target_name: &actor.name,
            summary: format!(
                "{} changed their password and ended {}",
                actor.name,
                crate::sessions::domain::sessions(ended)
            ),
            details: serde_json::json!({ "sessions_ended": ended }),
        },
    )
    .await?;
    Ok(Change::ended(format!(
        "Your password is changed. {} elsewhere ended; this one stays signed in.",
        capitalize(&crate::sessions::domain::sessions(ended))
    )))
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
