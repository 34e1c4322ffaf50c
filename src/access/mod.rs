//! Who holds what, and why: direct roles, group memberships, the roles groups carry, and the
//! effective scopes that result, each with the paths that grant it.

#[cfg(feature = "ssr")]
pub mod domain;
#[cfg(feature = "ssr")]
pub mod lapse;
#[cfg(feature = "ssr")]
pub mod store;

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::auth::Permission;
use crate::error::AppError;
use crate::users::UserSummary;

/// A role the user holds directly.
/// The name and description an editor showed when someone began editing a role or a group.
/// Sent back with the edit, it lets the server refuse to overwrite a change another admin made
/// in the meantime instead of silently losing it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Seen {
    pub name: String,
    pub description: String,
}

impl Seen {
    /// Refuses the edit when the stored text is neither what the editor saw nor already what
    /// the edit would make it. `what` names the thing ("role", "group").
    pub fn check(
        seen: Option<&Seen>,
        what: &str,
        current: (&str, &str),
        wanted: (&str, &str),
    ) -> Result<(), AppError> {
        let Some(seen) = seen else {
            return Ok(());
        };
        if (seen.name.as_str(), seen.description.as_str()) == current || current == wanted {
            return Ok(());
        }
        Err(AppError::conflict(format!(
            "Someone else changed this {what} while you were editing it: it is now named \u{201c}{}\u{201d}{}. \
             Nothing was saved; reload to see their change, then make yours again.",
            current.0,
            if current.1.is_empty() {
                " with no description".to_string()
            } else {
                format!(", described as \u{201c}{}\u{201d}", current.1)
            }
        )))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct RoleAssignment {
    pub role_id: String,
    pub role_name: String,
    pub expires_at: Option<i64>,
}

/// A role the user holds because a group they are in holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InheritedRole {
    pub role_id: String,
    pub role_name: String,
    pub group_id: String,
    pub group_name: String,
    /// When the first of the membership and the group's role ends.
    pub expires_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Membership {
    pub group_id: String,
    pub group_name: String,
    pub expires_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct GroupMemberRow {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    pub expires_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct GroupRoleRow {
    pub role_id: String,
    pub role_name: String,
    pub expires_at: Option<i64>,
}

/// One way a scope reaches a user: a direct role, or a group's role.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GrantPath {
    pub role_id: String,
    pub role_name: String,
    pub group_id: Option<String>,
    pub group_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScopeAccess {
    pub scope: String,
    pub paths: Vec<GrantPath>,
}

/// Everything the user page shows about a person's access, as of `now`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserAccess {
    pub user: UserSummary,
    pub direct: Vec<RoleAssignment>,
    pub inherited: Vec<InheritedRole>,
    pub groups: Vec<Membership>,
    pub scopes: Vec<ScopeAccess>,
    /// Sign-in asks this person for an authenticator code.
    pub second_factor: bool,
    /// Who is looking: their own page offers no "Set password" (the account page does that).
    pub caller_id: String,
    pub now: i64,
    /// What the caller may change here, so the page offers only what the server would allow.
    pub caller_permissions: Vec<Permission>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct GroupHeader {
    pub id: String,
    pub name: String,
    pub description: String,
}

/// Everything the group page shows, as of `now`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupDetail {
    pub group: GroupHeader,
    pub members: Vec<GroupMemberRow>,
    pub roles: Vec<GroupRoleRow>,
    pub now: i64,
    pub caller_permissions: Vec<Permission>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct RoleHeader {
    pub id: String,
    pub name: String,
    pub description: String,
    pub builtin: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct RoleUserRow {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    pub expires_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct RoleGroupRow {
    pub group_id: String,
    pub group_name: String,
    pub expires_at: Option<i64>,
    pub member_count: i64,
}

/// A direct holder of a role, and the groups that also give it to them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoleHolder {
    pub user: RoleUserRow,
    pub also_through: Vec<String>,
}

/// Everything the role page shows, as of `now`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoleDetail {
    pub role: RoleHeader,
    pub scopes: Vec<String>,
    pub users: Vec<RoleHolder>,
    pub groups: Vec<RoleGroupRow>,
    /// Active people holding the role, directly or through a group, counted once each.
    pub holders_total: i64,
    pub now: i64,
    pub caller_permissions: Vec<Permission>,
}

/// What a change did, in words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// False when the request asked for what already was: nothing was written.
    pub changed: bool,
    pub message: String,
    /// When the change reaches the person's tokens, for changes that alter scopes.
    pub takes_effect: Option<String>,
    /// For a change that took something away from one person: who, so the page can offer to
    /// sign them out now rather than at their next token.
    #[serde(default)]
    pub sign_out: Option<SignOutOffer>,
}

/// What creating something answers: its id (to open its page), and a sentence for the person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Created {
    pub id: String,
    pub message: String,
}

/// "Sign them out now", offered after a change took access away from one person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignOutOffer {
    pub user_id: String,
    pub display_name: String,
}

/// Explains effective scopes: for each scope of `role_scopes` (`(role_id, scope)`), every path
/// through which a live role grants it. Sorted by scope, then path.
pub fn explain(
    direct: &[RoleAssignment],
    inherited: &[InheritedRole],
    role_scopes: &[(String, String)],
) -> Vec<ScopeAccess> {
    let mut by_scope: BTreeMap<&str, Vec<GrantPath>> = BTreeMap::new();
    for (role_id, scope) in role_scopes {
        let paths = by_scope.entry(scope).or_default();
        for role in direct.iter().filter(|r| &r.role_id == role_id) {
            paths.push(GrantPath {
                role_id: role.role_id.clone(),
                role_name: role.role_name.clone(),
                group_id: None,
                group_name: None,
            });
        }
        for role in inherited.iter().filter(|r| &r.role_id == role_id) {
            paths.push(GrantPath {
                role_id: role.role_id.clone(),
                role_name: role.role_name.clone(),
                group_id: Some(role.group_id.clone()),
                group_name: Some(role.group_name.clone()),
            });
        }
    }
    by_scope
        .into_iter()
        .filter(|(_, paths)| !paths.is_empty())
        .map(|(scope, mut paths)| {
            paths.sort();
            paths.dedup();
            ScopeAccess {
                scope: scope.to_string(),
                paths,
            }
        })
        .collect()
}

/// The common course of every change from the console: authorize the caller first, then run the use
/// case in one write transaction (retried whole on a PostgreSQL conflict), then log it.
#[cfg(feature = "ssr")]
pub(crate) async fn apply_change<F>(
    permission: Permission,
    what: &'static str,
    work: F,
) -> Result<Change, AppError>
where
    F: FnMut(
            &mut crate::storage::Tx,
            domain::Actor,
            i64,
        ) -> futures::future::BoxFuture<'_, crate::error::AppResult<Change>>
        + Clone
        + Send
        + Sync
        + 'static,
{
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, caller) = authorize(permission)?;
            let actor = ctx.actor(&caller);
            let now = ctx.now;
            let change = ctx
                .state
                .db
                .write(|tx| {
                    let (mut work, actor) = (work.clone(), actor.clone());
                    Box::pin(async move {
                        // Lapses first, so a change that replaces a lapsed row leaves its
                        // lapse on record.
                        lapse::sweep(tx, now).await?;
                        work(tx, actor, now).await
                    })
                })
                .await?;
            if change.changed {
                tracing::info!(actor = %actor.id, "{what}");
            }
            Ok(change)
        }
        .await,
    )
}

/// "Also sign them out now" on a removal: it ends sessions, so it also needs `sessions:revoke`.
#[cfg(feature = "ssr")]
pub(crate) fn may_sign_out(sign_out: Option<bool>) -> Result<bool, AppError> {
    use crate::server::context::{authorize, finish};
    let sign_out = sign_out.unwrap_or(false);
    if sign_out {
        finish(authorize(Permission::SessionsRevoke))?;
    }
    Ok(sign_out)
}

/// A person's roles, groups and effective scopes with their reasons. Needs `users:read`.
#[server(prefix = "/api", endpoint = "users/access")]
pub async fn get_user_access(user_id: String) -> Result<UserAccess, AppError> {
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, caller) = authorize(Permission::UsersRead)?;
            let now = ctx.now;
            let mut tx = ctx.state.db.read().await?;
            let user = store::user(&mut tx, &user_id).await?;
            let direct = store::direct_roles(&mut tx, &user.id, now).await?;
            let inherited = store::inherited_roles(&mut tx, &user.id, now).await?;
            let groups = store::memberships(&mut tx, &user.id, now).await?;
            let mut role_ids: Vec<String> = direct
                .iter()
                .map(|r| r.role_id.clone())
                .chain(inherited.iter().map(|r| r.role_id.clone()))
                .collect();
            role_ids.sort();
            role_ids.dedup();
            let role_scopes = store::scopes_of_roles(&mut tx, &role_ids).await?;
            let scopes = explain(&direct, &inherited, &role_scopes);
            let second_factor = crate::account::store::has_second_factor(&mut tx, &user.id).await?;
            Ok(UserAccess {
                user,
                direct,
                inherited,
                groups,
                scopes,
                second_factor,
                caller_id: caller.user_id.clone(),
                now,
                caller_permissions: Permission::ALL
                    .into_iter()
                    .filter(|p| caller.has(*p))
                    .collect(),
            })
        }
        .await,
    )
}

/// Gives a user a role directly, optionally until `expires_at` (Unix seconds); with a role the
/// user already has, sets the end of it. Needs `roles:write`.
#[server(prefix = "/api", endpoint = "users/roles/assign", input = Json)]
pub async fn assign_user_role(
    user_id: String,
    role_id: String,
    expires_at: Option<i64>,
) -> Result<Change, AppError> {
    apply_change(
        Permission::RolesWrite,
        "assigned a role to a user",
        move |tx, actor, now| {
            let (user_id, role_id) = (user_id.clone(), role_id.clone());
            Box::pin(async move {
                domain::assign_user_role(tx, &actor, &user_id, &role_id, expires_at, now).await
            })
        },
    )
    .await
}

/// Takes a directly assigned role away from a user. Needs `roles:write`.
#[server(prefix = "/api", endpoint = "users/roles/remove", input = Json)]
pub async fn unassign_user_role(
    user_id: String,
    role_id: String,
    sign_out: Option<bool>,
) -> Result<Change, AppError> {
    let sign_out = may_sign_out(sign_out)?;
    apply_change(
        Permission::RolesWrite,
        "removed a role from a user",
        move |tx, actor, now| {
            let (user_id, role_id) = (user_id.clone(), role_id.clone());
            Box::pin(async move {
                domain::unassign_user_role(tx, &actor, &user_id, &role_id, sign_out, now).await
            })
        },
    )
    .await
}

/// Adds people to a group, optionally until `expires_at`. Needs `groups:write`.
#[server(prefix = "/api", endpoint = "groups/members/add", input = Json)]
pub async fn add_group_members(
    group_id: String,
    user_ids: Vec<String>,
    expires_at: Option<i64>,
) -> Result<Change, AppError> {
    apply_change(
        Permission::GroupsWrite,
        "added members to a group",
        move |tx, actor, now| {
            let (group_id, user_ids) = (group_id.clone(), user_ids.clone());
            Box::pin(async move {
                domain::add_members(tx, &actor, &group_id, &user_ids, expires_at, now).await
            })
        },
    )
    .await
}

/// Removes a person from a group. Needs `groups:write`.
#[server(prefix = "/api", endpoint = "groups/members/remove", input = Json)]
pub async fn remove_group_member(
    group_id: String,
    user_id: String,
    sign_out: Option<bool>,
) -> Result<Change, AppError> {
    let sign_out = may_sign_out(sign_out)?;
    apply_change(
        Permission::GroupsWrite,
        "removed a member from a group",
        move |tx, actor, now| {
            let (group_id, user_id) = (group_id.clone(), user_id.clone());
            Box::pin(async move {
                domain::remove_member(tx, &actor, &group_id, &user_id, sign_out, now).await
            })
        },
    )
    .await
}

/// A group's members and roles. Needs `groups:read`.
#[server(prefix = "/api", endpoint = "groups/detail")]
pub async fn get_group_detail(group_id: String) -> Result<GroupDetail, AppError> {
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, caller) = authorize(Permission::GroupsRead)?;
            let now = ctx.now;
            let mut tx = ctx.state.db.read().await?;
            let group = store::group_header(&mut tx, &group_id).await?;
            let members = store::group_members(&mut tx, &group.id, now).await?;
            let roles = store::group_roles(&mut tx, &group.id, now).await?;
            Ok(GroupDetail {
                group,
                members,
                roles,
                now,
                caller_permissions: Permission::ALL
                    .into_iter()
                    .filter(|p| caller.has(*p))
                    .collect(),
            })
        }
        .await,
    )
}

/// A role's scopes, direct holders and groups. Needs `roles:read`.
#[server(prefix = "/api", endpoint = "roles/detail")]
pub async fn get_role_detail(role_id: String) -> Result<RoleDetail, AppError> {
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, caller) = authorize(Permission::RolesRead)?;
            let now = ctx.now;
            let mut tx = ctx.state.db.read().await?;
            let role = store::role_header(&mut tx, &role_id).await?;
            let scopes = store::role_scopes(&mut tx, &role.id).await?;
            let covered = store::covered_direct_holders(&mut tx, &role.id, now).await?;
            let users = store::role_users(&mut tx, &role.id, now)
                .await?
                .into_iter()
                .map(|user| RoleHolder {
                    also_through: covered
                        .iter()
                        .filter(|(id, _)| *id == user.user_id)
                        .map(|(_, group)| group.clone())
                        .collect(),
                    user,
                })
                .collect();
            let groups = store::role_groups(&mut tx, &role.id, now).await?;
            let holders_total = crate::roles::store::active_holders(&mut tx, &role.id, now).await?;
            Ok(RoleDetail {
                role,
                scopes,
                users,
                groups,
                holders_total,
                now,
                caller_permissions: Permission::ALL
                    .into_iter()
                    .filter(|p| caller.has(*p))
                    .collect(),
            })
        }
        .await,
    )
}

/// Gives several people a role directly, optionally until `expires_at`. Needs `roles:write`.
#[server(prefix = "/api", endpoint = "roles/users/assign", input = Json)]
pub async fn assign_role_to_users(
    role_id: String,
    user_ids: Vec<String>,
    expires_at: Option<i64>,
) -> Result<Change, AppError> {
    apply_change(
        Permission::RolesWrite,
        "assigned a role to users",
        move |tx, actor, now| {
            let (role_id, user_ids) = (role_id.clone(), user_ids.clone());
            Box::pin(async move {
                domain::assign_role_to_users(tx, &actor, &role_id, &user_ids, expires_at, now).await
            })
        },
    )
    .await
}

/// Gives a group a role, optionally until `expires_at`. Needs `roles:write`.
#[server(prefix = "/api", endpoint = "groups/roles/assign", input = Json)]
pub async fn assign_group_role(
    group_id: String,
    role_id: String,
    expires_at: Option<i64>,
) -> Result<Change, AppError> {
    apply_change(
        Permission::RolesWrite,
        "assigned a role to a group",
        move |tx, actor, now| {
            let (group_id, role_id) = (group_id.clone(), role_id.clone());
            Box::pin(async move {
                domain::assign_group_role(tx, &actor, &group_id, &role_id, expires_at, now).await
            })
        },
    )
    .await
}

/// Takes a role away from a group. Needs `roles:write`.
#[server(prefix = "/api", endpoint = "groups/roles/remove", input = Json)]
pub async fn unassign_group_role(
    group_id: String,
    role_id: String,
    sign_out: Option<bool>,
) -> Result<Change, AppError> {
    let sign_out = may_sign_out(sign_out)?;
    apply_change(
        Permission::RolesWrite,
        "removed a role from a group",
        move |tx, actor, now| {
            let (group_id, role_id) = (group_id.clone(), role_id.clone());
            Box::pin(async move {
                domain::unassign_group_role(tx, &actor, &group_id, &role_id, sign_out, now).await
            })
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct(role: &str) -> RoleAssignment {
        RoleAssignment {
            role_id: role.into(),
            role_name: role.to_uppercase(),
            expires_at: None,
        }
    }

    fn via(role: &str, group: &str) -> InheritedRole {
        InheritedRole {
            role_id: role.into(),
            role_name: role.to_uppercase(),
            group_id: group.into(),
            group_name: group.to_uppercase(),
            expires_at: None,
        }
    }

    #[test]
    fn each_scope_lists_every_path_that_grants_it() {
        let scopes = explain(
            &[direct("ops")],
            &[via("ops", "eng"), via("view", "eng"), via("view", "sales")],
            &[
                ("ops".into(), "deploy".into()),
                ("ops".into(), "read".into()),
                ("view".into(), "read".into()),
            ],
        );
        assert_eq!(scopes.len(), 2);
        assert_eq!(scopes[0].scope, "deploy");
        assert_eq!(scopes[0].paths.len(), 2, "direct ops and eng → ops");
        assert_eq!(scopes[1].scope, "read");
        assert_eq!(scopes[1].paths.len(), 4);
        assert!(scopes[1]
            .paths
            .iter()
            .any(|p| p.group_name.as_deref() == Some("SALES")));
    }

    #[test]
    fn scopes_of_roles_nobody_holds_are_not_listed() {
        assert!(explain(&[], &[], &[("ghost".into(), "read".into())]).is_empty());
    }
}
