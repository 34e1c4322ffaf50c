//! What the hardware allows, to set Tessera's figures against: a benchmark, not a test. It
//! prints a markdown table.
//!
//! ```text
//! cargo bench --features ssr --bench limits                     # SQLite in target/bench
//! TESSERA_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo bench --features ssr --bench limits                 # and PostgreSQL
//! ```
//!
//! A refresh grant cannot be cheaper than one Ed25519 signature plus one durable commit, and a
//! password sign-in cannot be cheaper than one Argon2id verification. This measures exactly
//! those, on the same machine and the same databases, with nothing of Tessera around them: one
//! worker, and as many concurrent workers as the grants benchmark uses.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use secrecy::SecretString;
use tessera::storage::Db;

const WORKERS: usize = 16;
const SECONDS: u64 = 3;

/// Runs `op` from `workers` tasks for `SECONDS`; returns operations per second.
async fn rate<F, Fut>(workers: usize, op: F) -> f64
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let op = Arc::new(op);
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let started = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let (op, done) = (op.clone(), done.clone());
            tokio::spawn(async move {
                let mut i = w as u64 * 1_000_000_000;
                while Instant::now() < deadline {
                    op(i).await;
                    i += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

async fn exec(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
        Db::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// One signature over a token-sized payload, then one committed insert.
async fn sign_and_commit(db: Db, key: Arc<Ed25519KeyPair>, i: u64) {
    let payload = format!("{{\"sub\":\"{i}\",\"scope\":\"users:read groups:read\",\"exp\":1}}");
    let signature = key.sign(payload.as_bytes());
    let row = hex::encode(&signature.as_ref()[..16]);
    db.write(|tx| {
        let row = row.clone();
        Box::pin(async move {
            tessera::on_db!(tx, |c| {
                sqlx::query("INSERT INTO bench_limits (id, value) VALUES ($1, $2)")
                    .bind(i as i64)
                    .bind(&row)
                    .execute(&mut *c)
                    .await
                    .map(|_| ())
            })
            .map_err(tessera::storage::db_error)
        })
    })
    .await
    .expect("commit");
}

async fn databases() -> Vec<(&'static str, Db)> {
    let dir = std::path::Path::new("target/bench");
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("limits.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let mut out = vec![(
        "SQLite",
        Db::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap(),
    )];
    if let Ok(url) = std::env::var("TESSERA_BENCH_POSTGRES_URL") {
        let schema = "bench_limits";
        {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            ))
            .execute(&mut conn)
            .await
            .unwrap();
        }
        out.push((
            "PostgreSQL",
            Db::connect_postgres_schema(&url, schema).await.unwrap(),
        ));
    }
    out
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let key = Arc::new(Ed25519KeyPair::generate().expect("an Ed25519 key"));
        let _ = key.public_key();
        println!("| limit | workers | per second |");
        println!("|---|---:|---:|");

        let signer = key.clone();
        let signatures = rate(1, move |i| {
            let signer = signer.clone();
            async move {
                std::hint::black_box(signer.sign(&i.to_le_bytes()));
            }
        })
        .await;
        println!("| Ed25519 signature alone | 1 | {signatures:.0} |");

        for (name, db) in databases().await {
            exec(
                &db,
                "CREATE TABLE bench_limits (id BIGINT PRIMARY KEY, value TEXT NOT NULL)",
            )
            .await;
            for workers in [1, WORKERS] {
                let (db, key) = (db.clone(), key.clone());
                let per_second = rate(workers, move |i| {
                    sign_and_commit(db.clone(), key.clone(), i + workers as u64 * 10_000_000_000)
                })
                .await;
                println!(
                    "| one signature + one durable commit, {name} | {workers} | {per_second:.0} |"
                );
            }
            db.close().await;
        }

        // Argon2id at Tessera's parameters, on the blocking pool as sign-in runs it.
        let hash = tessera::auth::password::hash(SecretString::from("a benchmark passphrase"))
            .await
            .unwrap();
        for workers in [1, 2] {
            let hash = hash.clone();
            let per_second = rate(workers, move |_| {
                let hash = hash.clone();
                async move {
                    let ok = tessera::auth::password::verify(
                        SecretString::from("a benchmark passphrase"),
                        Some(hash),
                        "",
                    )
                    .await;
                    assert!(ok);
                }
            })
            .await;
            println!("| Argon2id verification (19 MiB, t=2, p=1) | {workers} | {per_second:.1} |");
        }
    });
}
