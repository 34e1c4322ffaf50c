//! Tessera's signing keys: Ed25519, generated here, stored in the database so that every instance
//! signs and verifies with the same ones, and rotated with overlap.
//!
//! One key is active and signs; when it is rotated out it stays published in the JWKS (and
//! accepted here) until `publish_until`, after the last token it signed has expired. Each instance
//! keeps the keys in memory and re-reads them every [`RELOAD_EVERY`], or at once when a token names
//! a key it does not know (at most every [`UNKNOWN_KID_RELOAD`]), so a rotation on one instance
//! reaches the others within a minute.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{DecodingKey, EncodingKey};
use rand_core::{OsRng, RngCore};

use crate::error::{AppError, AppResult};
use crate::on_db;
use crate::storage::{db_error, Db, Tx};

/// The JWS algorithm of every key Tessera makes.
pub const ALG: &str = "EdDSA";
const RELOAD_EVERY: Duration = Duration::from_secs(60);
const UNKNOWN_KID_RELOAD: Duration = Duration::from_secs(5);

/// A key as the token code uses it.
pub struct SigningKey {
    pub kid: String,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    /// The public key, base64url: the JWK's `x`.
    pub x: String,
    pub active: bool,
}

struct Loaded {
    keys: Vec<Arc<SigningKey>>,
    at: Instant,
}

/// The keys in memory, shared by all requests of an instance.
pub struct KeyRing {
    db: Db,
    loaded: RwLock<Arc<Loaded>>,
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    kid: String,
    private_pkcs8: String,
    public_x: String,
    active: bool,
}

impl KeyRing {
    /// Loads the published keys, first making one if there is no active key (a new database).
    pub async fn open(db: &Db, now: i64) -> AppResult<KeyRing> {
        db.write(|tx| Box::pin(async move { ensure_active(tx, now).await.map(|_| ()) }))
            .await?;
        let keys = load(db, now).await?;
        Ok(KeyRing {
            db: db.clone(),
            loaded: RwLock::new(Arc::new(Loaded {
                keys,
                at: Instant::now(),
            })),
        })
    }

    fn snapshot(&self) -> Arc<Loaded> {
        match self.loaded.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Re-reads the keys from the database now.
    pub async fn reload(&self, now: i64) -> AppResult<()> {
        let keys = load(&self.db, now).await?;
        let fresh = Arc::new(Loaded {
            keys,
            at: Instant::now(),
        });
        match self.loaded.write() {
            Ok(mut guard) => *guard = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(())
    }

    async fn fresh(&self, now: i64) -> AppResult<Arc<Loaded>> {
        let loaded = self.snapshot();
        if loaded.at.elapsed() < RELOAD_EVERY {
            return Ok(loaded);
        }
        self.reload(now).await?;
        Ok(self.snapshot())
    }

    /// The key that signs now.
    pub async fn signer(&self, now: i64) -> AppResult<Arc<SigningKey>> {
        let loaded = self.fresh(now).await?;
        if let Some(key) = loaded.keys.iter().find(|k| k.active) {
            return Ok(key.clone());
        }
        // Another instance is in the middle of a rotation, or the keys were deleted by hand.
        self.db
            .write(|tx| Box::pin(async move { ensure_active(tx, now).await.map(|_| ()) }))
            .await?;
        self.reload(now).await?;
        self.snapshot()
            .keys
            .iter()
            .find(|k| k.active)
            .cloned()
            .ok_or_else(AppError::internal)
    }

    /// The published key named `kid`, if there is one. Only Tessera's own keys are ever used
    /// to verify: a token cannot bring its own.
    pub async fn verifier(&self, kid: &str, now: i64) -> AppResult<Option<Arc<SigningKey>>> {
        let loaded = self.fresh(now).await?;
        if let Some(key) = loaded.keys.iter().find(|k| k.kid == kid) {
            return Ok(Some(key.clone()));
        }
        if loaded.at.elapsed() < UNKNOWN_KID_RELOAD {
            return Ok(None);
        }
        self.reload(now).await?;
        Ok(self.snapshot().keys.iter().find(|k| k.kid == kid).cloned())
    }

    /// The JSON Web Key Set: every published public key.
    pub async fn jwks(&self, now: i64) -> AppResult<serde_json::Value> {
        let loaded = self.fresh(now).await?;
        let keys: Vec<serde_json::Value> = loaded
            .keys
            .iter()
            .map(|key| {
                serde_json::json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "alg": ALG,
                    "use": "sig",
                    "kid": key.kid,
                    "x": key.x,
                })
            })
            .collect();
        Ok(serde_json::json!({ "keys": keys }))
    }
}

async fn load(db: &Db, now: i64) -> AppResult<Vec<Arc<SigningKey>>> {
    let mut tx = db.read().await?;
    let rows: Vec<KeyRow> = on_db!(tx, |c| {
        sqlx::query_as(
            "SELECT kid, private_pkcs8, public_x, active FROM signing_keys
             WHERE active = TRUE OR publish_until > $1
             ORDER BY active DESC, created_at DESC",
        )
        .bind(now)
        .fetch_all(&mut *c)
        .await
        .map_err(db_error)?
    });
    rows.into_iter()
        .map(|row| {
            let der = STANDARD.decode(&row.private_pkcs8).map_err(|_| {
                tracing::error!(kid = %row.kid, "a stored signing key is not base64");
                AppError::internal()
            })?;
            let decoding = DecodingKey::from_ed_components(&row.public_x).map_err(|_| {
                tracing::error!(kid = %row.kid, "a stored public key is not base64url");
                AppError::internal()
            })?;
            Ok(Arc::new(SigningKey {
                kid: row.kid,
                encoding: EncodingKey::from_ed_der(&der),
                decoding,
                x: row.public_x,
                active: row.active,
            }))
        })
        .collect()
}

/// A fresh Ed25519 key pair: (PKCS#8 DER, public key base64url).
fn generate() -> AppResult<(Vec<u8>, String)> {
    let rng = SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| {
        tracing::error!("could not generate an Ed25519 key");
        AppError::internal()
    })?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| AppError::internal())?;
    let x = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
    Ok((pkcs8.as_ref().to_vec(), x))
}

fn new_kid() -> String {
    let mut bytes = [0u8; 12];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Inserts a new active key unless another transaction has just made one; returns whether
/// this one was inserted.
async fn insert_active(tx: &mut Tx, now: i64) -> AppResult<Option<String>> {
    let (der, x) = generate()?;
    let kid = new_kid();
    let inserted = on_db!(tx, |c| {
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, private_pkcs8, public_x, active, created_at)
             VALUES ($1, $2, $3, $4, TRUE, $5)
             ON CONFLICT (active) WHERE active = TRUE DO NOTHING",
        )
        .bind(&kid)
        .bind(ALG)
        .bind(STANDARD.encode(&der))
        .bind(&x)
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(db_error)?
        .rows_affected()
    });
    Ok((inserted == 1).then_some(kid))
}

async fn active(tx: &mut Tx) -> AppResult<Option<(String, i64)>> {
    on_db!(tx, |c| {
        sqlx::query_as("SELECT kid, created_at FROM signing_keys WHERE active = TRUE")
            .fetch_optional(&mut *c)
            .await
            .map_err(db_error)
    })
}

/// The active key's id and creation time, making a key if there is none. Several instances
/// starting together may race here: the unique index on the active key lets one insert, and
/// the others find its key.
pub async fn ensure_active(tx: &mut Tx, now: i64) -> AppResult<(String, i64)> {
    if let Some(found) = active(tx).await? {
        return Ok(found);
    }
    if let Some(kid) = insert_active(tx, now).await? {
        return Ok((kid, now));
    }
    active(tx).await?.ok_or_else(AppError::internal)
}

/// Retires the active key if it was created at or before `born_by` (it stays published for
/// `overlap_secs`) and makes a new one. Returns the new key's id, or `None` when there was no
/// such key: another instance rotated first. The UPDATE takes the active row's lock, so two
/// instances rotating at once queue up on PostgreSQL and the second finds nothing to retire (on
/// SQLite the write transaction serialises them).
async fn retire_and_replace(
    tx: &mut Tx,
    now: i64,
    born_by: i64,
    overlap_secs: i64,
) -> AppResult<Option<String>> {
    let retired: Option<String> = on_db!(tx, |c| {
        sqlx::query_scalar(
            "UPDATE signing_keys SET active = FALSE, retired_at = $1, publish_until = $2
             WHERE active = TRUE AND created_at <= $3 RETURNING kid",
        )
        .bind(now)
        .bind(now + overlap_secs)
        .bind(born_by)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_error)?
    });
    let Some(retired) = retired else {
        return Ok(None);
    };
    let kid = insert_active(tx, now)
        .await?
        .ok_or_else(AppError::internal)?;
    tracing::info!(retired = %retired, new = %kid, "rotated the signing key");
    Ok(Some(kid))
}

/// Retires the active key now (an operator's rotation) and makes a new one.
pub async fn rotate(tx: &mut Tx, now: i64, overlap_secs: i64) -> AppResult<String> {
    ensure_active(tx, now).await?;
    match retire_and_replace(tx, now, i64::MAX, overlap_secs).await? {
        Some(kid) => Ok(kid),
        None => Err(AppError::internal()),
    }
}

/// Rotates the active key if it is older than `max_age_secs`. Returns the new key's id if it did.
pub async fn rotate_if_due(
    tx: &mut Tx,
    now: i64,
    max_age_secs: i64,
    overlap_secs: i64,
) -> AppResult<Option<String>> {
    ensure_active(tx, now).await?;
    retire_and_replace(tx, now, now - max_age_secs, overlap_secs).await
}
