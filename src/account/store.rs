//! The SQL of a person's own security settings: their authenticator, recovery codes, and the
//! sign-ins waiting for a second factor.

use crate::error::AppResult;
use crate::on_db;
use crate::storage::{db_error, Tx};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TotpRow {
    pub secret: String,
    pub confirmed_at: Option<i64>,
    pub last_step: Option<i64>,
}

pub async fn totp(tx: &mut Tx, user_id: &str) -> AppResult<Option<TotpRow>> {
    on_db!(tx, |c| {
        sqlx::query_as(
            "SELECT secret, confirmed_at, last_step FROM totp_credentials WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_error)
    })
}

/// Whether the user has a confirmed authenticator, i.e. sign-in asks for a code.
pub async fn has_second_factor(tx: &mut Tx, user_id: &str) -> AppResult<bool> {
    Ok(totp(tx, user_id)
        .await?
        .is_some_and(|t| t.confirmed_at.is_some()))
}

/// Starts (or restarts) an enrolment with a new, unconfirmed secret.
///
/// NOTE: the secret is stored as it is (hex), because verifying a code needs it, not a hash of
/// it. Someone who can read the database can therefore compute codes, though not the password
/// that must come first. Encrypting it under a key the operator holds outside the database is
/// the next step; it needs key management Tessera does not have yet.
pub async fn put_pending_totp(tx: &mut Tx, user_id: &str, secret: &str, now: i64) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query(
            "INSERT INTO totp_credentials (user_id, secret, confirmed_at, last_step, created_at)
             VALUES ($1, $2, NULL, NULL, $3)
             ON CONFLICT (user_id) DO UPDATE
             SET secret = excluded.secret, confirmed_at = NULL, last_step = NULL,
                 created_at = excluded.created_at",
        )
        .bind(user_id)
        .bind(secret)
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(())
}

pub async fn confirm_totp(tx: &mut Tx, user_id: &str, step: i64, now: i64) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query(
            "UPDATE totp_credentials SET confirmed_at = $2, last_step = $3 WHERE user_id = $1",
        )
        .bind(user_id)
        .bind(now)
        .bind(step)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(())
}

/// Records `step` as used, provided no later step was used meanwhile (a concurrent sign-in
/// with the same code). Returns whether this use won.
pub async fn use_totp_step(tx: &mut Tx, user_id: &str, step: i64) -> AppResult<bool> {
    let updated = on_db!(tx, |c| {
        sqlx::query(
            "UPDATE totp_credentials SET last_step = $2
             WHERE user_id = $1 AND confirmed_at IS NOT NULL
               AND (last_step IS NULL OR last_step < $2)",
        )
        .bind(user_id)
        .bind(step)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(updated == 1)
}

/// Removes the authenticator and every recovery code. Returns whether there was one.
pub async fn delete_second_factor(tx: &mut Tx, user_id: &str) -> AppResult<bool> {
    let removed = on_db!(tx, |c| {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *c)
            .await
            .map_err(db_error)?;
        sqlx::query("DELETE FROM totp_credentials WHERE user_id = $1 AND confirmed_at IS NOT NULL")
            .bind(user_id)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(removed > 0)
}

/// Replaces the user's recovery codes with these hashes.
pub async fn replace_recovery_codes(
    tx: &mut Tx,
    user_id: &str,
    hashes: &[String],
    now: i64,
) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *c)
            .await
            .map_err(db_error)?;
        for hash in hashes {
            sqlx::query(
                "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
            )
            .bind(user_id)
            .bind(hash)
            .bind(now)
            .execute(&mut *c)
            .await
            .map_err(db_error)?;
        }
    });
    Ok(())
}

/// Marks an unused recovery code used; returns whether it was one of the user's unused codes.
pub async fn use_recovery_code(
    tx: &mut Tx,
    user_id: &str,
    hash: &str,
    now: i64,
) -> AppResult<bool> {
    let used = on_db!(tx, |c| {
        sqlx::query(
            "UPDATE recovery_codes SET used_at = $3
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(hash)
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(used == 1)
}

pub async fn unused_recovery_codes(tx: &mut Tx, user_id: &str) -> AppResult<i64> {
    on_db!(tx, |c| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&mut *c)
        .await
        .map_err(db_error)
    })
}

pub async fn insert_challenge(
    tx: &mut Tx,
    token_hash: &str,
    user_id: &str,
    now: i64,
    expires_at: i64,
) -> AppResult<()> {
    on_db!(tx, |c| {
        // Old challenges go as new ones come: the table never holds more than the last few
        // minutes' sign-ins.
        sqlx::query("DELETE FROM sign_in_challenges WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *c)
            .await
            .map_err(db_error)?;
        sqlx::query(
            "INSERT INTO sign_in_challenges (token_hash, user_id, created_at, expires_at, attempts)
             VALUES ($1, $2, $3, $4, 0)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok(())
}

/// The user of a live challenge and the attempts it has had, counting this one: the count is
/// raised before the code is checked, so parallel guesses cannot share one attempt.
pub async fn attempt_challenge(
    tx: &mut Tx,
    token_hash: &str,
    now: i64,
) -> AppResult<Option<(String, i64)>> {
    on_db!(tx, |c| {
        sqlx::query_as(
            "UPDATE sign_in_challenges SET attempts = attempts + 1
             WHERE token_hash = $1 AND expires_at > $2
             RETURNING user_id, CAST(attempts AS BIGINT)",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_error)
    })
}

pub async fn delete_challenge(tx: &mut Tx, token_hash: &str) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query("DELETE FROM sign_in_challenges WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
}

/// Marks a session as one whose sign-in passed a second factor (or no longer so).
pub async fn set_session_second_factor(
    tx: &mut Tx,
    session_id: &str,
    second_factor: bool,
) -> AppResult<()> {
    on_db!(tx, |c| {
        sqlx::query("UPDATE sessions SET second_factor = $2 WHERE id = $1")
            .bind(session_id)
            .bind(second_factor)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
}

pub async fn password_hash(tx: &mut Tx, user_id: &str) -> AppResult<Option<String>> {
    on_db!(tx, |c| {
        sqlx::query_scalar::<_, Option<String>>("SELECT password_hash FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_error)
            .map(Option::flatten)
    })
}

/// Ends every live session of the user but `keep`; returns how many ended.
pub async fn revoke_other_sessions(
    tx: &mut Tx,
    user_id: &str,
    keep: &str,
    now: i64,
) -> AppResult<u64> {
    Ok(on_db!(tx, |c| {
        sqlx::query(
            "UPDATE sessions SET revoked_at = $2
             WHERE user_id = $1 AND id <> $3 AND revoked_at IS NULL
               AND idle_expires_at > $2 AND absolute_expires_at > $2",
        )
        .bind(user_id)
        .bind(now)
        .bind(keep)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    }))
}

/// Whether the sign-in behind a session passed a second factor.
pub async fn session_second_factor(tx: &mut Tx, session_id: &str) -> AppResult<bool> {
    on_db!(tx, |c| {
        sqlx::query_scalar::<_, bool>("SELECT second_factor FROM sessions WHERE id = $1")
            .bind(session_id)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_error)
            .map(|found| found.unwrap_or(false))
    })
}
