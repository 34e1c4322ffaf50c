//! `tessera seed`: a large, realistic organisation for benchmarks and fault tests, built in
//! set-based statements so that a million people take seconds rather than hours.
//!
//! The shape, deterministic for a given size: custom scopes `app<k>:read` and `app<k>:write`;
//! roles granting one to three of them; groups granting one to three roles, except the first
//! hundred groups, which grant ten each; every person in one to five groups (a skewed spread),
//! one in ten with a direct role, one in fifty disabled; and the first ten people ("heavy
//! users") in the first hundred groups, for the worst case of a token's scopes.

use std::time::{Duration, Instant};

use crate::error::{AppError, AppResult};
use crate::storage::Db;

/// How big an organisation to build.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub users: i64,
    pub groups: i64,
    pub roles: i64,
}

/// The id of the `i`-th seeded thing of a kind (users 1, groups 2, roles 3), 1-based: valid
/// UUID text that scripts and benchmarks can compute without asking the database.
pub fn seeded_id(kind: u32, i: i64) -> String {
    format!("5eed{kind:04x}-0000-4000-8000-{i:012x}")
}

/// The username of the `i`-th seeded person.
pub fn seeded_username(i: i64) -> String {
    format!("person{i}")
}

/// Fills the database. Refuses if it already holds seeded people, so that a second run cannot
/// half-succeed on unique keys. `password_hash`, if given, is set for every person (one hash
/// for all: the people are synthetic, and hashing a million passwords would take hours).
pub async fn seed(
    db: &Db,
    size: Size,
    password_hash: Option<&str>,
    now: i64,
) -> AppResult<Duration> {
    if size.users < 1 || size.groups < 1 || size.roles < 1 {
        return Err(AppError::invalid(
            "A seeded organisation needs at least one user, one group and one role.",
        ));
    }
    let started = Instant::now();
    let postgres = matches!(db, Db::Postgres(_));
    let first = seeded_id(1, 1);
    let exists = {
        let mut tx = db.read().await?;
        crate::on_db!(tx, |c| {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users WHERE id = $1")
                .bind(&first)
                .fetch_one(&mut *c)
                .await
        })
        .map_err(crate::storage::db_error)?
    };
    if exists > 0 {
        return Err(AppError::conflict(
            "This database already holds a seeded organisation; seed a fresh one.",
        ));
    }
    // The numbers 1..=n as a one-column table named `v`.
    let series = |n: i64, v: &str| {
        if postgres {
            format!("SELECT generate_series(1, {n})::BIGINT AS {v}")
        } else {
            format!(
                "WITH RECURSIVE s({v}) AS (SELECT 1 UNION ALL SELECT {v} + 1 FROM s WHERE {v} < {n}) SELECT {v} FROM s"
            )
        }
    };
    let hex = |expr: &str| {
        if postgres {
            format!("lpad(to_hex({expr}), 12, '0')")
        } else {
            format!("printf('%012x', {expr})")
        }
    };
    let id = |kind: u32, expr: &str| format!("'5eed{kind:04x}-0000-4000-8000-' || {}", hex(expr));
    // A cheap, well-spread hash of a row number, so the spread is not a visible pattern.
    let spread = |expr: &str, salt: i64| format!("((({expr}) * 2654435761 + {salt}) % 1000003)");
    let hash_value = match password_hash {
        Some(hash) => format!("'{}'", hash.replace('\'', "''")),
        None => "NULL".to_string(),
    };
    let scopes = (size.roles / 5).clamp(1, 100);
    let (users, groups, roles) = (size.users, size.groups, size.roles);
    let heavy = users.min(10);
    let heavy_groups = groups.min(100);

    let statements = vec![
        format!(
            "INSERT INTO scopes (name, description, builtin, created_at)
             SELECT 'app' || i || ':read', 'Read access to application ' || i, FALSE, {now}
             FROM ({s}) s
             UNION ALL
             SELECT 'app' || i || ':write', 'Write access to application ' || i, FALSE, {now}
             FROM ({s}) s",
            s = series(scopes, "i")
        ),
        format!(
            "INSERT INTO roles (id, name, description, builtin, created_at)
             SELECT {rid}, 'Seeded role ' || i, 'Part of the seeded organisation', FALSE, {now}
             FROM ({s}) s",
            rid = id(3, "i"),
            s = series(roles, "i")
        ),
        // Each role grants one to three scopes.
        format!(
            "INSERT INTO role_scopes (role_id, scope)
             SELECT DISTINCT {rid}, 'app' || (({sp} + k) % {scopes} + 1) || CASE WHEN k % 2 = 0 THEN ':read' ELSE ':write' END
             FROM ({s}) s CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2) ks
             WHERE k <= {sp2} % 3",
            rid = id(3, "i"),
            sp = spread("i", 7),
            sp2 = spread("i", 11),
            s = series(roles, "i")
        ),
        format!(
            "INSERT INTO access_groups (id, name, description, created_at)
             SELECT {gid}, 'Seeded group ' || i, 'Part of the seeded organisation', {now}
             FROM ({s}) s",
            gid = id(2, "i"),
            s = series(groups, "i")
        ),
        // One to three roles per group; ten for each of the first hundred groups.
        format!(
            "INSERT INTO group_roles (group_id, role_id, expires_at, created_at)
             SELECT DISTINCT {gid}, {rid}, CAST(NULL AS BIGINT), {now}
             FROM ({s}) s CROSS JOIN ({ks}) ks
             WHERE k <= CASE WHEN i <= 100 THEN 10 ELSE 1 + {sp} % 3 END",
            gid = id(2, "i"),
            rid = id(3, &format!("(({} + k * 37) % {roles}) + 1", spread("i", 13))),
            sp = spread("i", 17),
            s = series(groups, "i"),
            ks = series(10, "k")
        ),
        format!(
            "INSERT INTO users (id, username, display_name, email, disabled, password_hash, created_at, updated_at)
             SELECT {uid}, 'person' || i, 'Person ' || i, 'person' || i || '@seeded.example',
                 (i % 50 = 0), {hash_value}, {now} - i, {now} - i
             FROM ({s}) s",
            uid = id(1, "i"),
            s = series(users, "i")
        ),
        // One to five groups per person, skewed: most people in one or two.
        format!(
            "INSERT INTO group_members (group_id, user_id, expires_at, created_at)
             SELECT DISTINCT {gid}, {uid}, CAST(NULL AS BIGINT), {now}
             FROM ({s}) s CROSS JOIN ({ks}) ks
             WHERE k < 1 + ({sp} % 15) / 4 + ({sp} % 15) / 14",
            gid = id(2, &format!("(({} + k * 7919) % {groups}) + 1", spread("i", 19))),
            uid = id(1, "i"),
            sp = spread("i", 23),
            s = series(users, "i"),
            ks = "SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4"
        ),
        // The heavy users: in each of the first hundred groups.
        format!(
            "INSERT INTO group_members (group_id, user_id, expires_at, created_at)
             SELECT {gid}, {uid}, CAST(NULL AS BIGINT), {now}
             FROM ({su}) u CROSS JOIN ({sg}) g
             WHERE NOT EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = {gid} AND m.user_id = {uid})",
            gid = id(2, "g.j"),
            uid = id(1, "u.i"),
            su = series(heavy, "i"),
            sg = series(heavy_groups, "j")
        ),
        // One person in ten holds a role directly.
        format!(
            "INSERT INTO user_roles (user_id, role_id, expires_at, created_at)
             SELECT {uid}, {rid}, CAST(NULL AS BIGINT), {now}
             FROM ({s}) s WHERE i % 10 = 3",
            uid = id(1, "i"),
            rid = id(3, &format!("({} % {roles}) + 1", spread("i", 29))),
            s = series(users, "i")
        ),
    ];
    // Analysed, as a database in use is: queries are planned for this state, not for the empty
    // tables the migrations left.
    let mut statements = statements;
    statements.push("ANALYZE".to_string());
    db.write(|tx| {
        let statements = statements.clone();
        Box::pin(async move {
            for sql in statements {
                crate::on_db!(tx, |c| sqlx::query(&sql).execute(&mut *c).await.map(|_| ()))
                    .map_err(crate::storage::db_error)?;
            }
            Ok(())
        })
    })
    .await?;
    Ok(started.elapsed())
}
