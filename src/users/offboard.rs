//! Offboarding a leaver in one step: every direct role and group membership removed, every
//! session ended, and (by default) the account disabled — previewed first, done in one
//! transaction, audited as one parent event with a child per removal.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::access::{Change, Membership, RoleAssignment};
use crate::error::AppError;
use crate::ui::Changes;

/// What offboarding would remove.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OffboardPreview {
    pub user_id: String,
    pub display_name: String,
    pub disabled: bool,
    pub roles: Vec<RoleAssignment>,
    pub groups: Vec<Membership>,
    pub live_sessions: i64,
}

/// Offboarding changes roles, memberships, sessions and the account: it needs every scope that
/// each of those changes needs on its own.
#[cfg(feature = "ssr")]
const NEEDS: [crate::auth::Permission; 4] = [
    crate::auth::Permission::UsersWrite,
    crate::auth::Permission::RolesWrite,
    crate::auth::Permission::GroupsWrite,
    crate::auth::Permission::SessionsRevoke,
];

#[cfg(feature = "ssr")]
fn authorize_offboarding() -> Result<
    (
        crate::server::context::RequestCtx,
        std::sync::Arc<crate::auth::session::Caller>,
    ),
    AppError,
> {
    let (ctx, caller) = crate::server::context::authorize(crate::auth::Permission::UsersWrite)?;
    if let Some(missing) = NEEDS.iter().find(|p| !caller.has(**p)) {
        tracing::warn!(user_id = %caller.user_id, scope = missing.scope(), "refused: missing scope");
        return Err(AppError::forbidden(
            "offboard people (it needs users:write, roles:write, groups:write and sessions:revoke)",
        ));
    }
    Ok((ctx, caller))
}

/// What offboarding a person would remove. Needs the scopes offboarding needs.
#[server(prefix = "/api", endpoint = "users/offboard/preview")]
pub async fn preview_offboarding(user_id: String) -> Result<OffboardPreview, AppError> {
    use crate::server::context::finish;
    finish(
        async move {
            let (ctx, _) = authorize_offboarding()?;
            let mut tx = ctx.state.db.read().await?;
            super::domain::offboard_preview(&mut tx, &user_id, ctx.now).await
        }
        .await,
    )
}

/// Offboards a person in one transaction; `disable` also disables the account.
#[server(prefix = "/api", endpoint = "users/offboard", input = Json)]
pub async fn offboard_user(user_id: String, disable: bool) -> Result<Change, AppError> {
    use crate::server::context::finish;
    finish(
        async move {
            let (ctx, caller) = authorize_offboarding()?;
            let actor = ctx.actor(&caller);
            let now = ctx.now;
            let change = ctx
                .state
                .db
                .write(|tx| {
                    let (actor, user_id) = (actor.clone(), user_id.clone());
                    Box::pin(async move {
                        crate::access::lapse::sweep(tx, now).await?;
                        super::domain::offboard(tx, &actor, &user_id, disable, now).await
                    })
                })
                .await?;
            if change.changed {
                tracing::info!(actor = %actor.id, "offboarded a user");
            }
            Ok(change)
        }
        .await,
    )
}

/// "Offboard…": loads the preview, says what goes, and asks before doing it.
#[component]
pub fn Offboard(user_id: String, changes: Changes) -> impl IntoView {
    let asking = RwSignal::new(false);
    let disable = RwSignal::new(true);
    let preview = Resource::new(move || (asking.get(), changes.refresh.get()), {
        let user_id = user_id.clone();
        move |(asking, _)| {
            let user_id = user_id.clone();
            async move {
                if asking {
                    Some(preview_offboarding(user_id).await)
                } else {
                    None
                }
            }
        }
    });
    view! {
        <Show
            when=move || asking.get()
            fallback=move || view! {
                <button type="button" class="button" on:click=move |_| asking.set(true)>"Offboard…"</button>
            }
        >
            <div class="notice notice-error offboard" role="alertdialog" aria-label="Confirm offboarding">
                <Transition fallback=|| view! { <p class="muted">"Working out what goes…"</p> }>
                    {move || Suspend::new(async move {
                        match preview.await {
                            None => ().into_any(),
                            Some(Err(error)) => view! { <p>{error.message}</p> }.into_any(),
                            Some(Ok(p)) => {
                                let name = p.display_name.clone();
                                let user_id = p.user_id.clone();
                                let roles = p.roles.iter().map(|r| r.role_name.clone()).collect::<Vec<_>>();
                                let groups = p.groups.iter().map(|g| g.group_name.clone()).collect::<Vec<_>>();
                                let list = |items: Vec<String>, none: &'static str| {
                                    if items.is_empty() { none.to_string() } else { items.join(", ") }
                                };
                                view! {
                                    <p><strong>{format!("Offboarding {name} removes, at once and in one step:")}</strong></p>
                                    <ul class="offboard-list">
                                        <li>{format!("Direct roles ({}): {}", roles.len(), list(roles.clone(), "none"))}</li>
                                        <li>{format!("Group memberships ({}): {}", groups.len(), list(groups.clone(), "none"))}</li>
                                        <li>{match p.live_sessions {
                                            0 => "No live session to end.".to_string(),
                                            1 => "1 live session, ended now.".to_string(),
                                            n => format!("{n} live sessions, ended now."),
                                        }}</li>
                                    </ul>
                                    {(!p.disabled).then(|| view! {
                                        <label class="check">
                                            <input type="checkbox" prop:checked=move || disable.get()
                                                on:change=move |ev| disable.set(event_target_checked(&ev)) />
                                            " Also disable the account, so they cannot sign in again"
                                        </label>
                                    })}
                                    <p class="muted small">"Their history stays in the audit log. Roles they hold only through a group go with the group."</p>
                                    <p class="inline-form">
                                        <button type="button" class="button button-danger" disabled=move || changes.busy.get()
                                            on:click=move |_| {
                                                asking.set(false);
                                                changes.run(offboard_user(user_id.clone(), disable.get_untracked()));
                                            }>
                                            {format!("Offboard {name}")}
                                        </button>
                                        <button type="button" class="button" on:click=move |_| asking.set(false)>"Cancel"</button>
                                    </p>
                                }
                                .into_any()
                            }
                        }
                    })}
                </Transition>
            </div>
        </Show>
    }
    .into_any()
}
