//! The bulk bar under the user list and its dialog: choose an action, preview what it would
//! do to the whole selection, confirm, and read the result per person.

use std::collections::BTreeMap;

use leptos::html;
use leptos::prelude::*;

use super::{apply_bulk, preview_bulk, BulkAction, BulkPreview, BulkResult, BulkRow, Selection};
use crate::error::AppError;
use crate::groups::group_options;
use crate::roles::role_options;
use crate::ui::parse_end_input;
use crate::users::filter::UserFilter;

/// The people chosen on the user list: picked one by one (kept across pages and filters), or
/// everyone matching one filter.
#[derive(Clone, Copy)]
pub struct Chosen {
    /// `id → display name`.
    pub picked: RwSignal<BTreeMap<String, String>>,
    /// The filter, and how many it matched when chosen.
    pub all_matching: RwSignal<Option<(UserFilter, i64)>>,
    /// Bumped after a bulk change, so the list reloads.
    pub refresh: RwSignal<u32>,
}

impl Default for Chosen {
    fn default() -> Self {
        Chosen {
            picked: RwSignal::new(BTreeMap::new()),
            all_matching: RwSignal::new(None),
            refresh: RwSignal::new(0),
        }
    }
}

impl Chosen {
    /// Turns "everyone matching" into an explicit pick of the visible page, before a change
    /// to single rows.
    pub fn leave_all_matching(self, page: Vec<(String, String)>) {
        if self.all_matching.with_untracked(Option::is_some) {
            self.all_matching.set(None);
            self.picked.set(page.into_iter().collect());
        }
    }

    pub fn count(self) -> i64 {
        match self.all_matching.get() {
            Some((_, total)) => total,
            None => self.picked.with(|p| p.len() as i64),
        }
    }

    fn selection(self) -> Selection {
        match self.all_matching.get_untracked() {
            Some((filter, _)) => Selection::Matching { filter },
            None => Selection::Ids {
                ids: self.picked.with_untracked(|p| p.keys().cloned().collect()),
            },
        }
    }

    fn clear(self) {
        self.all_matching.set(None);
        self.picked.set(BTreeMap::new());
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    AddRole,
    RemoveRole,
    AddToGroup,
    RemoveFromGroup,
    SignOut,
}

impl Kind {
    fn parse(value: &str) -> Kind {
        match value {
            "remove-role" => Kind::RemoveRole,
            "add-group" => Kind::AddToGroup,
            "remove-group" => Kind::RemoveFromGroup,
            "sign-out" => Kind::SignOut,
            _ => Kind::AddRole,
        }
    }

    /// Whether the action names a role or a group.
    fn has_target(self) -> bool {
        self != Kind::SignOut
    }

    fn is_role(self) -> bool {
        matches!(self, Kind::AddRole | Kind::RemoveRole)
    }

    fn is_addition(self) -> bool {
        matches!(self, Kind::AddRole | Kind::AddToGroup)
    }
}

/// Where the dialog is.
#[derive(Clone, Debug, PartialEq)]
enum Stage {
    Closed,
    Previewing,
    Previewed(Result<BulkPreview, AppError>),
    Applying(BulkPreview),
    Done(Result<BulkResult, AppError>),
}

#[component]
pub fn BulkBar(chosen: Chosen) -> impl IntoView {
    let roles = LocalResource::new(role_options);
    let groups = LocalResource::new(group_options);
    let kind = RwSignal::new(Kind::AddRole);
    let target = RwSignal::new(String::new());
    let ends = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let stage = RwSignal::new(Stage::Closed);
    let request = StoredValue::new(None::<(Selection, BulkAction)>);
    let count = Memo::new(move |_| chosen.count());

    let open_preview = move || {
        problem.set(None);
        let id = target.get_untracked();
        if id.is_empty() && kind.get_untracked().has_target() {
            problem.set(Some(if kind.get_untracked().is_role() {
                "Choose a role first.".into()
            } else {
                "Choose a group first.".into()
            }));
            return;
        }
        let expires_at = if kind.get_untracked().is_addition() {
            match parse_end_input(&ends.get_untracked()) {
                Ok(end) => end,
                Err(message) => {
                    problem.set(Some(message));
                    return;
                }
            }
        } else {
            None
        };
        let action = match kind.get_untracked() {
            Kind::AddRole => BulkAction::AddRole {
                role_id: id,
                expires_at,
            },
            Kind::RemoveRole => BulkAction::RemoveRole { role_id: id },
            Kind::AddToGroup => BulkAction::AddToGroup {
                group_id: id,
                expires_at,
            },
            Kind::RemoveFromGroup => BulkAction::RemoveFromGroup { group_id: id },
            Kind::SignOut => BulkAction::SignOut,
        };
        let selection = chosen.selection();
        request.set_value(Some((selection.clone(), action.clone())));
        stage.set(Stage::Previewing);
        leptos::task::spawn_local(async move {
            let preview = preview_bulk(selection, action).await;
            stage.set(Stage::Previewed(preview));
        });
    };
    let confirm = move |preview: BulkPreview| {
        let Some((selection, action)) = request.get_value() else {
            return;
        };
        stage.set(Stage::Applying(preview));
        leptos::task::spawn_local(async move {
            let result = apply_bulk(selection, action).await;
            stage.set(Stage::Done(result));
        });
    };
    let close = move || {
        let finished = matches!(stage.get_untracked(), Stage::Done(Ok(_)));
        stage.set(Stage::Closed);
        if finished {
            chosen.clear();
            chosen.refresh.update(|n| *n += 1);
        }
    };

    let targets = move || {
        if !kind.get().has_target() {
            return None;
        }
        let is_role = kind.get().is_role();
        let options: Vec<(String, String)> = if is_role {
            roles
                .get()
                .and_then(Result::ok)
                .map(|roles| roles.into_iter().map(|r| (r.id, r.name)).collect())
                .unwrap_or_default()
        } else {
            groups
                .get()
                .and_then(Result::ok)
                .map(|groups| groups.into_iter().map(|g| (g.id, g.name)).collect())
                .unwrap_or_default()
        };
        Some(view! {
            <label for="bulk-target">{if is_role { "Which role" } else { "Which group" }}</label>
            <select id="bulk-target" on:change=move |ev| target.set(event_target_value(&ev))
                prop:value=move || target.get()>
                <option value="">{if is_role { "Choose a role…" } else { "Choose a group…" }}</option>
                {options.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
            </select>
        }.into_any())
    };

    view! {
        <Show when=move || { count.get() > 0 }>
            <div class="bulk-bar" role="region" aria-label="Bulk actions">
                <p class="bulk-count">
                    {move || match chosen.all_matching.get() {
                        Some((_, total)) => format!("All {total} matching selected"),
                        None => match count.get() {
                            1 => "1 selected".to_string(),
                            n => format!("{n} selected"),
                        },
                    }}
                </p>
                <form class="inline-form" on:submit=move |ev| { ev.prevent_default(); open_preview(); }>
                    <label for="bulk-action">"Action"</label>
                    <select id="bulk-action" on:change=move |ev| {
                        kind.set(Kind::parse(&event_target_value(&ev)));
                        target.set(String::new());
                    }>
                        <option value="add-role">"Add a role"</option>
                        <option value="remove-role">"Remove a role"</option>
                        <option value="add-group">"Add to a group"</option>
                        <option value="remove-group">"Remove from a group"</option>
                        <option value="sign-out">"Sign out everywhere"</option>
                    </select>
                    {targets}
                    <Show when=move || kind.get().is_addition()>
                        <label for="bulk-ends">"Ends (UTC, optional)"</label>
                        <input id="bulk-ends" type="datetime-local" prop:value=move || ends.get()
                            on:input=move |ev| ends.set(event_target_value(&ev)) />
                    </Show>
                    <button type="submit" class="button button-primary">"Preview…"</button>
                    <button type="button" class="button button-quiet" on:click=move |_| chosen.clear()>"Clear selection"</button>
                </form>
                {move || problem.get().map(|p| view! { <p class="bulk-problem" role="alert">{p}</p> })}
            </div>
        </Show>
        <Show when=move || stage.with(|s| *s != Stage::Closed)>
            <BulkDialog stage confirm close />
        </Show>
    }
    .into_any()
}

#[component]
fn BulkDialog<C, X>(stage: RwSignal<Stage>, confirm: C, close: X) -> impl IntoView
where
    C: Fn(BulkPreview) + Copy + Send + Sync + 'static,
    X: Fn() + Copy + Send + Sync + 'static,
{
    let dialog = NodeRef::<html::Div>::new();
    // Move focus into the dialog when it opens, so keyboard users land on it.
    Effect::new(move |_| {
        if let Some(el) = dialog.get() {
            let _ = el.focus();
        }
    });
    let busy = move || matches!(stage.get(), Stage::Previewing | Stage::Applying(_));
    view! {
        <div class="dialog-backdrop">
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="bulk-title"
                tabindex="-1" node_ref=dialog aria-busy=move || busy().to_string()
                on:keydown=move |ev| {
                    if ev.key() == "Escape" && !matches!(stage.get_untracked(), Stage::Applying(_)) {
                        close();
                    }
                }>
                {move || match stage.get() {
                    Stage::Closed => ().into_any(),
                    Stage::Previewing => view! {
                        <h2 id="bulk-title">"Preview"</h2>
                        <p class="pending">"Working out what would change for everyone selected…"</p>
                        <div class="dialog-actions">
                            <button type="button" class="button" on:click=move |_| close()>"Cancel"</button>
                        </div>
                    }.into_any(),
                    Stage::Previewed(Err(error)) | Stage::Done(Err(error)) => view! {
                        <h2 id="bulk-title">"Nothing was changed"</h2>
                        <div class="notice notice-error" role="alert"><p>{error.message}</p></div>
                        <div class="dialog-actions">
                            <button type="button" class="button" on:click=move |_| close()>"Close"</button>
                        </div>
                    }.into_any(),
                    Stage::Previewed(Ok(preview)) => {
                        let nothing = preview.counts.changes + preview.counts.end_changes == 0;
                        let label = preview.confirm_label.clone();
                        view! {
                            <h2 id="bulk-title">{preview.action_label.clone()}</h2>
                            <PreviewCounts preview=preview.clone() />
                            <Sample rows=preview.sample.clone() />
                            <div class="dialog-actions">
                                {if nothing {
                                    view! { <span class="muted">"Nothing would change."</span> }.into_any()
                                } else {
                                    view! {
                                        <button type="button" class="button button-primary"
                                            on:click=move |_| confirm(preview.clone())>{label}</button>
                                    }.into_any()
                                }}
                                <button type="button" class="button" on:click=move |_| close()>"Cancel"</button>
                            </div>
                        }.into_any()
                    }
                    Stage::Applying(preview) => view! {
                        <h2 id="bulk-title">{preview.action_label.clone()}</h2>
                        <PreviewCounts preview=preview.clone() />
                        <p class="pending" role="status">
                            <span class="spinner" aria-hidden="true"></span>
                            {format!("{}… Everything changes together, or nothing does.", preview.confirm_label)}
                        </p>
                    }.into_any(),
                    Stage::Done(Ok(result)) => view! {
                        <h2 id="bulk-title">"Done"</h2>
                        <div class="notice notice-ok" role="status">
                            <p>{result.message.clone()}</p>
                            {result.takes_effect.clone().map(|t| view! { <p class="muted small">{t}</p> })}
                        </div>
                        {result.event_id.map(|id| view! {
                            <p><a href=format!("/audit?event={id}")>{format!("See event #{id} in the audit log")}</a></p>
                        })}
                        <Outcomes rows=result.rows.clone() removal=result.removal sign_out=result.sign_out />
                        <div class="dialog-actions">
                            <button type="button" class="button button-primary" on:click=move |_| close()>"Done"</button>
                        </div>
                    }.into_any(),
                }}
            </div>
        </div>
    }
}

#[component]
fn PreviewCounts(preview: BulkPreview) -> impl IntoView {
    let c = preview.counts;
    let removal = preview.removal;
    let line = |n: i64, text: &'static str| {
        (n > 0).then(|| view! { <li><strong>{n}</strong>" "{text}</li> })
    };
    if preview.sign_out {
        return view! {
            <ul class="counts">
                <li><strong>{c.selected}</strong>" selected"</li>
                {line(c.changes, "have live sessions, which will all end now")}
                {line(c.already_so, "have no live session")}
            </ul>
            <p class="muted small">"Access tokens applications already hold stay valid where they are checked offline until they expire (minutes); refresh tokens stop working at once."</p>
        }
        .into_any();
    }
    view! {
        <ul class="counts">
            <li><strong>{c.selected}</strong>" selected"</li>
            {line(c.changes, if removal { "will lose it" } else { "will gain it" })}
            {line(c.end_changes, "have it with another end, which will change")}
            {line(c.already_so, if removal { "do not have it" } else { "already have it" })}
            {line(c.skipped_disabled, "are disabled and will be skipped")}
            {line(if removal { c.disabled } else { 0 }, "of those selected are disabled")}
            {line(c.keep_through_group, "keep it anyway through a group")}
        </ul>
    }
    .into_any()
}

#[component]
fn Sample(rows: Vec<BulkRow>) -> impl IntoView {
    (!rows.is_empty()).then(|| {
        view! {
            <h3 class="sample-title">"For example"</h3>
            <ul class="sample">
                {rows.into_iter().map(|row| {
                    let keeps = (!row.keeps_through.is_empty())
                        .then(|| format!(" — keeps it through {}", row.keeps_through.join(", ")));
                    view! {
                        <li>
                            {row.display_name}
                            <span class="mono muted small">{format!(" {}", row.username)}</span>
                            {row.disabled.then(|| view! { " " <span class="badge badge-off">"Disabled"</span> })}
                            <span class="muted">{keeps}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
    })
}

#[component]
fn Outcomes(rows: Vec<BulkRow>, removal: bool, sign_out: bool) -> impl IntoView {
    view! {
        <div class="outcomes">
            <table class="data">
                <caption class="visually-hidden">"Result per person"</caption>
                <thead><tr><th scope="col">"Person"</th><th scope="col">"Result"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|row| view! {
                        <tr>
                            <td>{row.display_name}<span class="mono muted small">{format!(" {}", row.username)}</span></td>
                            <td>{if sign_out { row.outcome.describe_sign_out() } else { row.outcome.describe(removal) }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
