//! The audit log: every change, in words, newest first.

#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::ui::{format_time, use_list_params, DataTable, Page, PageHeader, SearchBox};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AuditEvent {
    pub id: i64,
    pub at: i64,
    pub actor_name: String,
    pub action: String,
    pub summary: String,
    pub parent_id: Option<i64>,
}

/// A page of audit events, newest first, optionally searched. Needs `audit:read`.
#[server(prefix = "/api", endpoint = "audit/list")]
pub async fn list_audit_events(search: String, page: u32) -> Result<Page<AuditEvent>, AppError> {
    use crate::auth::Permission;
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, _) = authorize(Permission::AuditRead)?;
            let mut tx = ctx.state.db.read().await?;
            store::list(&mut tx, &crate::ui::ListQuery::new(&search, page)).await
        }
        .await,
    )
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let (search, page) = use_list_params();
    let events = Resource::new(
        move || (search.get(), page.get()),
        |(search, page)| list_audit_events(search, page),
    );
    view! {
        <PageHeader title="Audit log" lead="Every sign-in and every change, newest first." />
        <SearchBox label="Search the audit log" placeholder="Actor, action or words" value=search />
        <DataTable
            resource=events
            columns=&["When", "Actor", "Event"]
            noun="events"
            empty_hint="Events appear here as soon as anyone signs in or changes something."
            search
            row=|event: AuditEvent| {
                view! {
                    <tr>
                        <td class="nowrap">
                            <time>{format_time(event.at)}</time>
                        </td>
                        <td>{event.actor_name}</td>
                        <td>
                            {event.summary}
                            <span class="muted small">{format!(" · {} · #{}", event.action, event.id)}</span>
                        </td>
                    </tr>
                }
            }
        />
    }
}
