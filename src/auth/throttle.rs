//! Sign-in throttling: failed passwords slow further attempts down, with a backoff that an
//! attacker cannot turn into a long lockout of a real person.
//!
//! Two counters per attempt, both keyed on the username as typed (lower-cased), so that an
//! unknown username is throttled exactly like a real one and nothing tells them apart:
//!
//! - **this account from this address**: after a few failures each further one doubles the wait,
//!   up to a quarter of an hour. It stops one machine guessing.
//! - **this account from anywhere**: a higher threshold and a wait of at most a minute. Guessing
//!   from many addresses gets one try a minute; the real person, from their own address, waits
//!   at most that minute however hard the account is attacked.
//!
//! Counters forget failures a quarter of an hour after the last one. A success clears the
//! counter of its own address only, so an attacker gains nothing from the real person signing
//! in.

use crate::error::AppResult;
use crate::on_db;
use crate::storage::{db_error, Tx};

/// Failures from one address before waits begin.
const PAIR_FREE: i64 = 5;
const PAIR_MAX_WAIT: i64 = 15 * 60;
/// Failures from anywhere before waits begin.
const ACCOUNT_FREE: i64 = 20;
const ACCOUNT_MAX_WAIT: i64 = 60;
/// Failures older than this (since the last one) are forgotten.
const MEMORY_SECS: i64 = 15 * 60;

fn keys(username: &str, ip: Option<&str>) -> (String, String) {
    let name = username.trim().to_lowercase();
    (
        format!("account:{name}"),
        format!("pair:{name}|{}", ip.unwrap_or("-")),
    )
}

/// The wait after `failures` failures, given how many are free and the longest wait.
fn wait_after(failures: i64, free: i64, max: i64) -> i64 {
    if failures < free {
        0
    } else {
        // 1 s, 2 s, 4 s, … : the exponent is capped before it can overflow.
        (1i64 << (failures - free).min(20)).min(max)
    }
}

/// How many seconds the caller must wait before trying `username` again; 0 when they may now.
pub async fn wait(tx: &mut Tx, username: &str, ip: Option<&str>, now: i64) -> AppResult<i64> {
    let (account, pair) = keys(username, ip);
    let until: Option<i64> = on_db!(tx, |c| {
        sqlx::query_scalar(
            "SELECT MAX(blocked_until) FROM sign_in_failures
             WHERE key IN ($1, $2) AND last_failure_at > $3",
        )
        .bind(&account)
        .bind(&pair)
        .bind(now - MEMORY_SECS)
        .fetch_one(&mut *c)
        .await
        .map_err(db_error)?
    });
    Ok(until.map_or(0, |until| (until - now).max(0)))
}

/// Counts a failed sign-in against both counters.
pub async fn record_failure(
    tx: &mut Tx,
    username: &str,
    ip: Option<&str>,
    now: i64,
) -> AppResult<()> {
    let (account, pair) = keys(username, ip);
    for (key, free, max) in [
        (account, ACCOUNT_FREE, ACCOUNT_MAX_WAIT),
        (pair, PAIR_FREE, PAIR_MAX_WAIT),
    ] {
        let failures: i64 = on_db!(tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO sign_in_failures (key, failures, last_failure_at, blocked_until)
                 VALUES ($1, 1, $2, 0)
                 ON CONFLICT (key) DO UPDATE SET
                     failures = CASE WHEN sign_in_failures.last_failure_at > $3
                                     THEN sign_in_failures.failures + 1 ELSE 1 END,
                     last_failure_at = $2
                 RETURNING CAST(failures AS BIGINT)",
            )
            .bind(&key)
            .bind(now)
            .bind(now - MEMORY_SECS)
            .fetch_one(&mut *c)
            .await
            .map_err(db_error)?
        });
        let blocked_until = now + wait_after(failures, free, max);
        on_db!(tx, |c| {
            sqlx::query("UPDATE sign_in_failures SET blocked_until = $2 WHERE key = $1")
                .bind(&key)
                .bind(blocked_until)
                .execute(&mut *c)
                .await
                .map_err(db_error)?
                .rows_affected()
        });
    }
    // Forgotten failures go as new ones come.
    on_db!(tx, |c| {
        sqlx::query("DELETE FROM sign_in_failures WHERE last_failure_at <= $1")
            .bind(now - MEMORY_SECS)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
}

/// A success from this address clears this address's counter (not the account's).
pub async fn record_success(tx: &mut Tx, username: &str, ip: Option<&str>) -> AppResult<()> {
    let (_, pair) = keys(username, ip);
    on_db!(tx, |c| {
        sqlx::query("DELETE FROM sign_in_failures WHERE key = $1")
            .bind(&pair)
            .execute(&mut *c)
            .await
            .map_err(db_error)?
            .rows_affected()
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_after_the_free_tries_and_stop_at_the_cap() {
        let waits: Vec<i64> = (1..=12)
            .map(|n| wait_after(n, PAIR_FREE, PAIR_MAX_WAIT))
            .collect();
        assert_eq!(waits, [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128]);
        assert_eq!(wait_after(10_000, PAIR_FREE, PAIR_MAX_WAIT), PAIR_MAX_WAIT);
        assert_eq!(
            wait_after(10_000, ACCOUNT_FREE, ACCOUNT_MAX_WAIT),
            ACCOUNT_MAX_WAIT
        );
    }

    #[test]
    fn usernames_are_keyed_as_typed_but_without_case() {
        assert_eq!(
            keys(" Ada ", Some("10.0.0.1")),
            keys("ada", Some("10.0.0.1"))
        );
        assert_ne!(
            keys("ada", Some("10.0.0.1")).1,
            keys("ada", Some("10.0.0.2")).1
        );
        assert_eq!(
            keys("ada", Some("10.0.0.1")).0,
            keys("ada", Some("10.0.0.2")).0
        );
    }
}
