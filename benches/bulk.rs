//! Bulk changes and the filtered user list at scale: a benchmark, not a test. It asserts
//! nothing; it prints what it measured as a markdown table.
//!
//! ```text
//! cargo bench --features ssr --bench bulk                       # SQLite in target/bench
//! TESSERA_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo bench --features ssr --bench bulk                   # and PostgreSQL
//! TESSERA_BENCH_USERS=100000 cargo bench --features ssr --bench bulk   # a smaller organisation
//! ```
//!
//! It seeds an organisation (by default 1,000,000 users, 100 groups of 2,000 members each, two
//! roles), then times, through the same domain functions the server functions call:
//! a bulk role grant with audit to 10,000 and to 100,000 people (a fresh role each time, so
//! every person changes), and filtered pages of the user list (by group, by role, by text,
//! deep pages), each run 200 times (or for ten seconds, if slower) for p50 and p95.

use std::time::{Duration, Instant};

use tessera::access::domain::Actor;
use tessera::bulk::{BulkAction, Selection};
use tessera::storage::Db;
use tessera::users::filter::{Position, Sort, UserFilter};

const NOW: i64 = 1_796_299_200;

fn pseudo_id(prefix: u32, i: i64) -> String {
    format!("{prefix:08x}-0000-4000-8000-{i:012x}")
}

async fn exec(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
        Db::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Fills the database in set-based statements: the seeding is not what is measured.
async fn seed(db: &Db, users: i64) -> Duration {
    let started = Instant::now();
    let postgres = matches!(db, Db::Postgres(_));
    let series = |n: i64| {
        if postgres {
            format!("SELECT generate_series(1, {n}) AS i")
        } else {
            format!(
                "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s"
            )
        }
    };
    let hex = |expr: &str, width: usize| {
        if postgres {
            format!("lpad(to_hex({expr}), {width}, '0')")
        } else {
            format!("printf('%0{width}x', {expr})")
        }
    };
    let user_id = format!("'00000001-0000-4000-8000-' || {}", hex("i", 12));
    exec(
        db,
        &format!(
            "INSERT INTO users (id, username, display_name, email, disabled, created_at, updated_at)
             SELECT {user_id}, 'user' || i, 'Person ' || {name}, 'user' || i || '@example.com',
                 (i % 50 = 0), {NOW} - i, {NOW} - i
             FROM ({series}) s",
            name = hex("(i * 2654435761) % 4294967296", 8),
            series = series(users)
        ),
    )
    .await;
    let groups = 100i64;
    exec(
        db,
        &format!(
            "INSERT INTO access_groups (id, name, description, created_at)
             SELECT '00000002-0000-4000-8000-' || {}, 'Group ' || i, '', {NOW}
             FROM ({}) s",
            hex("i", 12),
            series(groups)
        ),
    )
    .await;
    // Group g holds users g, g + 100, g + 200, …, up to 2,000 members each.
    let per_group = (users / groups).min(2_000);
    exec(
        db,
        &format!(
            "INSERT INTO group_members (group_id, user_id, expires_at, created_at)
             SELECT '00000002-0000-4000-8000-' || {g}, '00000001-0000-4000-8000-' || {u}, NULL, {NOW}
             FROM ({}) s",
            series(groups * per_group),
            g = hex("((i - 1) % 100) + 1", 12),
            u = hex("i", 12),
        ),
    )
    .await;
    exec(
        db,
        &format!(
            "INSERT INTO roles (id, name, description, builtin, created_at) VALUES
                 ('{}', 'Group role', '', FALSE, {NOW});
             INSERT INTO group_roles (group_id, role_id, expires_at, created_at)
                 VALUES ('{}', '{}', NULL, {NOW});",
            pseudo_id(3, 1),
            pseudo_id(2, 1),
            pseudo_id(3, 1)
        ),
    )
    .await;
    // A database in use has been vacuumed and analysed by its autovacuum; measure that state,
    // not the moment after a bulk load.
    exec(
        db,
        if postgres {
            "VACUUM ANALYZE"
        } else {
            "ANALYZE"
        },
    )
    .await;
    started.elapsed()
}

async fn new_role(db: &Db, n: i64) -> String {
    let id = pseudo_id(4, n);
    exec(
        db,
        &format!(
            "INSERT INTO roles (id, name, description, builtin, created_at)
             VALUES ('{id}', 'Bulk role {n}', '', FALSE, {NOW})"
        ),
    )
    .await;
    id
}

async fn bulk_grant(db: &Db, role: &str, people: i64) -> (Duration, i64) {
    let actor = Actor {
        id: pseudo_id(1, 1),
        name: "bench".into(),
        request_id: None,
    };
    // Everyone in the first `people` users: picked ids, as the browser would send them.
    let ids: Vec<String> = (1..=people).map(|i| pseudo_id(1, i)).collect();
    let selection = Selection::Ids { ids };
    let action = BulkAction::AddRole {
        role_id: role.to_string(),
        expires_at: None,
    };
    let started = Instant::now();
    let result = db
        .write(|tx| {
            let (selection, action, actor) = (selection.clone(), action.clone(), actor.clone());
            Box::pin(async move {
                tessera::bulk::domain::apply(tx, &actor, &selection, &action, NOW).await
            })
        })
        .await
        .expect("bulk grant");
    (started.elapsed(), result.counts.changes)
}

async fn page_times(db: &Db, filter: &UserFilter, deep: bool) -> (Duration, Duration, i64) {
    let mut position = Position::default();
    if deep {
        // Walk 40 pages in, then time the page after.
        for _ in 0..40 {
            let mut tx = db.read().await.unwrap();
            let list = tessera::users::store::browse(&mut tx, filter, Sort::Name, &position, NOW)
                .await
                .unwrap();
            position = Position {
                after: list.next.unwrap_or_default(),
                ..Position::default()
            };
        }
    }
    let mut times = Vec::new();
    let mut total = 0;
    // 200 runs, or as many as fit in ten seconds for a slow query.
    let budget = Instant::now();
    while times.len() < 200 && (times.len() < 5 || budget.elapsed() < Duration::from_secs(10)) {
        let started = Instant::now();
        let mut tx = db.read().await.unwrap();
        let list = tessera::users::store::browse(&mut tx, filter, Sort::Name, &position, NOW)
            .await
            .unwrap();
        times.push(started.elapsed());
        total = list.total;
    }
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95), total)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn run(name: &str, db: Db, users: i64) {
    let seeded = seed(&db, users).await;
    println!(
        "\n### {name}: {users} users (seeded in {:.1} s)\n",
        seeded.as_secs_f64()
    );
    println!("| measure | result |\n|---|---|");
    for (n, people) in [(1, 10_000i64), (2, 100_000)] {
        if people > users {
            continue;
        }
        let role = new_role(&db, n).await;
        let (took, changed) = bulk_grant(&db, &role, people).await;
        println!(
            "| bulk add a role to {people} people, with {changed} child events | {} |",
            ms(took)
        );
    }
    let filters = [
        ("first page, no filter", UserFilter::default(), false),
        (
            "first page, one group",
            UserFilter {
                group: pseudo_id(2, 7),
                ..UserFilter::default()
            },
            false,
        ),
        (
            "first page, role through a group",
            UserFilter {
                role: pseudo_id(3, 1),
                ..UserFilter::default()
            },
            false,
        ),
        (
            "first page, text “user12345”",
            UserFilter {
                q: "user12345".into(),
                ..UserFilter::default()
            },
            false,
        ),
        ("41st page, no filter", UserFilter::default(), true),
    ];
    for (label, filter, deep) in filters {
        let (p50, p95, total) = page_times(&db, &filter, deep).await;
        println!(
            "| user list, {label} ({total} match): p50 / p95 | {} / {} |",
            ms(p50),
            ms(p95)
        );
    }
}

#[tokio::main]
async fn main() {
    let users: i64 = std::env::var("TESSERA_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::path::Path::new("target/bench");
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("bulk.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let sqlite = Db::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("SQLite");
    run("SQLite", sqlite, users).await;

    if let Ok(url) = std::env::var("TESSERA_BENCH_POSTGRES_URL") {
        let schema = format!("bench_{}", std::process::id());
        {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&url).await.expect("PostgreSQL");
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        let pg = Db::connect_postgres_schema(&url, &schema)
            .await
            .expect("PostgreSQL");
        run("PostgreSQL", pg.clone(), users).await;
        pg.close().await;
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
}
