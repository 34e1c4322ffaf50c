//! Getting a database ready for people: the first administrator, and the demo organisation.

use secrecy::SecretString;

use crate::audit::store::{self as audit, NewEvent};
use crate::auth::password;
use crate::error::AppResult;
use crate::on_db;
use crate::roles::{store as roles, ADMINISTRATOR_ROLE_ID};
use crate::storage::{db_error, Db};
use crate::users::store::{self as users, NewUser};
use crate::{groups::store as groups, scopes::store as scopes};

/// The actor name recorded for changes made from the command line rather than the console.
pub const SYSTEM_ACTOR: &str = "tessera (command line)";

/// Whether any active user holds the Administrator role right now.
pub async fn has_active_admin(db: &Db, now: i64) -> AppResult<bool> {
    let mut tx = db.read().await?;
    Ok(roles::active_holders(&mut tx, ADMINISTRATOR_ROLE_ID, now).await? > 0)
}

/// Makes `username` an administrator with `password`: creates the user if needed, sets the
/// password, enables the account and assigns the Administrator role, in one audited
/// transaction. Returns the user's id.
pub async fn bootstrap_admin(
    db: &Db,
    username: &str,
    display_name: &str,
    password: SecretString,
    now: i64,
) -> AppResult<String> {
    {
        use secrecy::ExposeSecret;
        password::check_policy(password.expose_secret())?;
    }
    let new_user = NewUser::parse(username, display_name, None, None)?;
    let hash = password::hash(password).await?;
    db.write(|tx| {
        let (new_user, hash) = (new_user.clone(), hash.clone());
        Box::pin(async move {
            let (id, created) = match users::id_by_username(tx, &new_user.username).await? {
                Some(id) => {
                    users::set_password_hash(tx, &id, &hash, now).await?;
                    on_db!(tx, |c| {
                        sqlx::query("UPDATE users SET disabled = FALSE WHERE id = $1")
                            .bind(&id)
                            .execute(&mut *c)
                            .await
                            .map_err(db_error)?
                            .rows_affected()
                    });
                    // The way back in for someone who lost their phone too: a second factor
                    // that cannot be shown would keep them out again.
                    crate::account::store::delete_second_factor(tx, &id).await?;
                    (id, false)
                }
                None => {
                    let with_hash = NewUser {
                        password_hash: Some(hash),
                        ..new_user.clone()
                    };
                    (users::insert(tx, &with_hash, now).await?, true)
                }
            };
            roles::assign_to_user(tx, &id, ADMINISTRATOR_ROLE_ID, None, now).await?;
            let summary = if created {
                format!("Created administrator {}", new_user.username)
            } else {
                format!(
                    "Made {} an administrator, set their password and removed any second factor",
                    new_user.username
                )
            };
            audit::record(
                tx,
                &NewEvent {
                    at: now,
                    actor_id: None,
                    actor_name: SYSTEM_ACTOR,
                    action: "user.bootstrap_admin",
                    target_type: Some("user"),
                    target_id: Some(&id),
                    target_name: Some(&new_user.username),
                    parent_id: None,
                    summary,
                    details: serde_json::json!({ "created": created, "role": "Administrator" }),
                    request_id: None,
                },
            )
            .await?;
            Ok(id)
        })
    })
    .await
}

/// Whether the organisation is still untouched: no groups and no custom roles.
async fn is_blank(db: &Db) -> AppResult<bool> {
    let mut tx = db.read().await?;
    let things: i64 = on_db!(tx, |c| {
        sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM access_groups)
                  + (SELECT COUNT(*) FROM roles WHERE builtin = FALSE)",
        )
        .fetch_one(&mut *c)
        .await
        .map_err(db_error)?
    });
    Ok(things == 0)
}

const FIRST_NAMES: &[&str] = &[
    "Alice", "Bruno", "Chiara", "Dmitri", "Esther", "Farid", "Grace", "Hiro", "Ingrid", "Jamal",
    "Keiko", "Lars", "Maya", "Nikolai", "Olivia", "Pedro", "Quinn", "Rosa", "Samir", "Tamsin",
];
const LAST_NAMES: &[&str] = &[
    "Nguyen",
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Castillo",
    "Haddad",
    "Kowalski",
    "Tanaka",
    "Fischer",
    "Brennan",
    "Adeyemi",
    "Rossi",
    "Sato",
    "Novak",
    "Schmidt",
    "Dubois",
    "Petrov",
    "Silva",
    "Khan",
    "Murphy",
];

/// Custom scopes of the demo organisation's own applications.
const DEMO_SCOPES: &[(&str, &str)] = &[
    ("reports:read", "Read business reports"),
    ("reports:export", "Export reports as files"),
    ("billing:read", "See invoices and payment details"),
    ("billing:write", "Issue credits and change billing details"),
    ("tickets:read", "Read support tickets"),
    ("tickets:write", "Answer and close support tickets"),
    ("deployments:write", "Deploy services to production"),
];

const DEMO_ROLES: &[(&str, &str, &[&str])] = &[
    (
        "Operator",
        "Runs production: deploys, and helps people who are locked out",
        &[
            "users:read",
            "groups:read",
            "roles:read",
            "sessions:revoke",
            "deployments:write",
        ],
    ),
    (
        "Auditor",
        "Reads everything, changes nothing",
        &[
            "users:read",
            "groups:read",
            "roles:read",
            "audit:read",
            "reports:read",
        ],
    ),
    (
        "Support Agent",
        "Answers customers",
        &["tickets:read", "tickets:write", "users:read"],
    ),
    (
        "Billing Admin",
        "Manages invoices and credits",
        &["billing:read", "billing:write", "reports:export"],
    ),
    ("Viewer", "Reads business reports", &["reports:read"]),
];

/// Groups, with the roles they hold and which demo users (by index) belong to them.
const DEMO_GROUPS: &[(&str, &str, &[&str])] = &[
    ("Engineering", "Builds and runs the product", &["Viewer"]),
    (
        "Platform On-call",
        "This week's on-call engineers",
        &["Operator"],
    ),
    (
        "Support",
        "Customer support, all shifts",
        &["Support Agent"],
    ),
    (
        "Finance",
        "Billing and accounting",
        &["Billing Admin", "Viewer"],
    ),
    ("Security", "Security and compliance reviews", &["Auditor"]),
    (
        "Sales",
        "Account executives and sales engineers",
        &["Viewer"],
    ),
];

/// Fills a blank database with a small, realistic organisation: 40 people in six groups, five
/// custom roles over Tessera's scopes and seven application scopes. Does nothing (and says so)
/// when the organisation already has groups or custom roles.
pub async fn seed_demo(db: &Db, now: i64) -> AppResult<bool> {
    if !is_blank(db).await? {
        return Ok(false);
    }
    db.write(|tx| {
        Box::pin(async move {
            for (name, description) in DEMO_SCOPES {
                scopes::insert(tx, name, description, now).await?;
            }
            let mut role_ids = Vec::new();
            for (name, description, role_scopes) in DEMO_ROLES {
                role_ids.push((
                    *name,
                    roles::insert(tx, name, description, role_scopes, now).await?,
                ));
            }
            let role_id = |name: &str| {
                role_ids
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, id)| id.clone())
                    .unwrap_or_default()
            };
            let mut group_ids = Vec::new();
            for (name, description, group_roles) in DEMO_GROUPS {
                let id = groups::insert(tx, name, description, now).await?;
                for role in *group_roles {
                    groups::add_role(tx, &id, &role_id(role), now).await?;
                }
                group_ids.push(id);
            }
            for i in 0..40usize {
                let first = FIRST_NAMES[i % FIRST_NAMES.len()];
                let last = LAST_NAMES[(i * 7 + i / FIRST_NAMES.len()) % LAST_NAMES.len()];
                let username = format!("{}.{}", first.to_lowercase(), last.to_lowercase());
                let user = NewUser::parse(
                    &username,
                    &format!("{first} {last}"),
                    Some(&format!("{username}@example.com")),
                    None,
                )?;
                // Spread sign-up dates over the past months so sorting by creation means something.
                let created = now - (i as i64) * 3 * 86_400 - 3_600;
                let id = users::insert(tx, &user, created).await?;
                // Everyone is in one of the first four groups; some in two or three.
                groups::add_member(tx, &group_ids[i % 4], &id, now).await?;
                if i % 5 == 0 {
                    groups::add_member(tx, &group_ids[4], &id, now).await?;
                }
                if i % 6 == 1 {
                    groups::add_member(tx, &group_ids[5], &id, now).await?;
                }
                // A few exceptions granted directly, as real organisations have.
                if i % 13 == 3 {
                    roles::assign_to_user(tx, &id, &role_id("Auditor"), None, now).await?;
                }
                if i == 38 || i == 39 {
                    on_db!(tx, |c| {
                        sqlx::query("UPDATE users SET disabled = TRUE WHERE id = $1")
                            .bind(&id)
                            .execute(&mut *c)
                            .await
                            .map_err(db_error)?
                            .rows_affected()
                    });
                }
            }
            audit::record(
                tx,
                &NewEvent {
                    at: now,
                    actor_id: None,
                    actor_name: SYSTEM_ACTOR,
                    action: "demo.seed",
                    target_type: None,
                    target_id: None,
                    target_name: None,
                    parent_id: None,
                    summary: "Loaded the demo organisation: 40 users, 6 groups, 5 roles"
                        .to_string(),
                    details: serde_json::json!({ "users": 40, "groups": 6, "roles": 5 }),
                    request_id: None,
                },
            )
            .await?;
            Ok(true)
        })
    })
    .await
}
