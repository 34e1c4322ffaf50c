//! The Applications pages: the list with a form to register one, and an application's page with
//! its settings, its secret and its service account.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::{
    create_application, delete_application, get_application, list_applications,
    rotate_application_secret, update_application, Application, ApplicationInput, SecretIssued,
};
use crate::error::{AppError, ErrorCode};
use crate::ui::{format_time, send_to_sign_in, Changes, ErrorNotice, PageHeader, ToastRegion};

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn kind(confidential: bool) -> &'static str {
    if confidential {
        "Confidential"
    } else {
        "Public"
    }
}

/// Runs a change that issues a secret: the toast as for any change, and the secret kept in
/// `shown` until the admin dismisses it.
fn run_issuing<F>(changes: Changes, shown: RwSignal<Option<SecretIssued>>, call: F)
where
    F: std::future::Future<Output = Result<SecretIssued, AppError>> + 'static,
{
    changes.run(async move {
        let issued = call.await?;
        let change = issued.change.clone();
        shown.set(Some(issued));
        Ok(change)
    });
}

/// The secret, shown once, with the sentence that makes the admin copy it now.
#[component]
fn SecretShown(shown: RwSignal<Option<SecretIssued>>) -> impl IntoView {
    move || {
        shown.get().map(|issued| {
            let app = issued.application;
            view! {
                <section class="notice notice-ok secret-panel" aria-labelledby="secret-title">
                    <h2 id="secret-title">{format!("Credentials of {}", app.name)}</h2>
                    <dl class="facts">
                        <dt>"Client id"</dt>
                        <dd class="mono">{app.client_id.clone()}</dd>
                        {issued.secret.map(|secret| view! {
                            <dt>"Client secret"</dt>
                            <dd><input class="mono secret" type="text" readonly=true aria-label="Client secret" value=secret /></dd>
                        })}
                    </dl>
                    <p>"Copy the secret now: Tessera keeps only a hash of it and cannot show it again. "
                       "If it is lost, rotate it."</p>
                    <p class="inline-form">
                        <a class="button" href=format!("/applications/{}", app.client_id)>"Open the application"</a>
                        <button type="button" class="button button-quiet" on:click=move |_| shown.set(None)>"I have copied it"</button>
                    </p>
                </section>
            }
        })
    }
}

#[component]
pub fn ApplicationsPage() -> impl IntoView {
    let changes = Changes::default();
    let shown = RwSignal::new(None::<SecretIssued>);
    let apps = Resource::new(move || changes.refresh.get(), |_| list_applications());
    view! {
        <PageHeader
            title="Applications"
            lead="Applications sign people in through Tessera. Their tokens carry the scopes of the person's roles and groups at the moment they are issued; each refresh reads them again."
        />
        <ToastRegion toast=changes.toast />
        <SecretShown shown />
        <Transition fallback=|| view! { <p class="muted">"Loading applications…"</p> }>
            {move || Suspend::new(async move {
                match apps.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(list) => {
                        let discovery = format!("{}/.well-known/openid-configuration", list.issuer);
                        view! {
                            <section class="section endpoints">
                                <p>"Point an OpenID Connect library at "
                                   <code class="mono">{discovery}</code>
                                   "; it finds every endpoint and key from there."</p>
                            </section>
                            {list.can_write.then(|| view! { <NewApplication changes shown /> })}
                            <ApplicationTable items=list.items />
                        }
                        .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn ApplicationTable(items: Vec<Application>) -> impl IntoView {
    if items.is_empty() {
        return view! {
            <div class="empty">
                <p class="empty-title">"No applications yet."</p>
                <p>"Register one to let it sign people in through Tessera."</p>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="data">
                <thead>
                    <tr>
                        <th scope="col">"Application"</th>
                        <th scope="col">"Client id"</th>
                        <th scope="col">"Type"</th>
                        <th scope="col">"Redirect URIs"</th>
                        <th scope="col" class="num">"Live sessions"</th>
                        <th scope="col">"Created"</th>
                    </tr>
                </thead>
                <tbody>
                    {items.into_iter().map(|app| {
                        let uris = match app.redirect_uris.len() {
                            0 => "none".to_string(),
                            1 => app.redirect_uris[0].clone(),
                            n => format!("{} and {} more", app.redirect_uris[0], n - 1),
                        };
                        view! {
                            <tr>
                                <td><a class="strong" href=format!("/applications/{}", app.client_id)>{app.name}</a></td>
                                <td class="mono">{app.client_id}</td>
                                <td><span class="badge">{kind(app.confidential)}</span></td>
                                <td class="mono small truncate" title=app.redirect_uris.join("\n")>{uris}</td>
                                <td class="num">{app.live_sessions}</td>
                                <td>{format_time(app.created_at)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn NewApplication(changes: Changes, shown: RwSignal<Option<SecretIssued>>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let client_id = RwSignal::new(String::new());
    let confidential = RwSignal::new(false);
    let uris = RwSignal::new(String::new());
    let details = crate::ui::closes_after_change(changes);
    view! {
        <details class="edit-panel section" node_ref=details>
            <summary class="button button-primary">"New application…"</summary>
            <form class="stacked-form" on:submit=move |ev| {
                ev.prevent_default();
                let input = ApplicationInput {
                    name: name.get_untracked(),
                    client_id: client_id.get_untracked(),
                    confidential: confidential.get_untracked(),
                    redirect_uris: lines(&uris.get_untracked()),
                };
                run_issuing(changes, shown, create_application(input));
            }>
                <label for="app-name">"Name"</label>
                <input id="app-name" type="text" maxlength="128" required=true placeholder="Inventory"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                <label for="app-client-id">"Client id " <span class="muted">"(optional: made from the name)"</span></label>
                <input id="app-client-id" type="text" maxlength="48" class="mono" placeholder="inventory"
                    prop:value=move || client_id.get() on:input=move |ev| client_id.set(event_target_value(&ev)) />
                <fieldset class="choice">
                    <legend>"Type"</legend>
                    <label>
                        <input type="radio" name="app-type" prop:checked=move || !confidential.get()
                            on:change=move |_| confidential.set(false) />
                        " Public — runs in a browser or on a device; signs people in with PKCE, has no secret"
                    </label>
                    <label>
                        <input type="radio" name="app-type" prop:checked=move || confidential.get()
                            on:change=move |_| confidential.set(true) />
                        " Confidential — runs on a server; has a secret and a service account for client credentials"
                    </label>
                </fieldset>
                <label for="app-uris">"Redirect URIs " <span class="muted">"(one per line; exact match)"</span></label>
                <textarea id="app-uris" rows="3" class="mono" placeholder="https://inventory.example.com/callback"
                    prop:value=move || uris.get() on:input=move |ev| uris.set(event_target_value(&ev))></textarea>
                <p class="inline-form">
                    <button type="submit" class="button button-primary" disabled=move || changes.busy.get()>"Create application"</button>
                </p>
            </form>
        </details>
    }
    .into_any()
}

#[component]
pub fn ApplicationPage() -> impl IntoView {
    let params = use_params_map();
    let client_id = Memo::new(move |_| params.read().get("client_id").unwrap_or_default());
    let changes = Changes::default();
    let shown = RwSignal::new(None::<SecretIssued>);
    let app = Resource::new(
        move || (client_id.get(), changes.refresh.get()),
        |(id, _)| get_application(id),
    );
    view! {
        <p class="breadcrumb"><a href="/applications">"Applications"</a></p>
        <ToastRegion toast=changes.toast />
        <Transition fallback=|| view! { <div class="page-header"><h1 class="skeleton-text">"\u{a0}"</h1></div> }>
            {move || Suspend::new(async move {
                match app.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(mut list) => match list.items.pop() {
                        None => ().into_any(),
                        Some(app) => view! {
                            <ApplicationDetail app issuer=list.issuer can_write=list.can_write changes shown />
                        }
                        .into_any(),
                    },
                }
            })}
        </Transition>
    }
}

#[component]
fn ApplicationDetail(
    app: Application,
    issuer: String,
    can_write: bool,
    changes: Changes,
    shown: RwSignal<Option<SecretIssued>>,
) -> impl IntoView {
    let sessions = match app.live_sessions {
        1 => "1 live session".to_string(),
        n => format!("{n} live sessions"),
    };
    view! {
        <leptos_meta::Title text=app.name.clone() />
        <div class="page-header">
            <h1>{app.name.clone()} " " <span class="badge">{kind(app.confidential)}</span></h1>
            <p class="lead">"Client id " <code class="mono">{app.client_id.clone()}</code> " · " {sessions}</p>
        </div>
        <SecretShown shown />
        <div class="detail-grid">
            <section class="section" aria-labelledby="settings-title">
                <h2 id="settings-title">"Sign-in settings"</h2>
                {if can_write {
                    view! { <ApplicationSettings app=app.clone() changes /> }.into_any()
                } else {
                    view! {
                        <ul class="plain mono">{app.redirect_uris.iter().map(|u| view! { <li>{u.clone()}</li> }).collect_view()}</ul>
                    }
                    .into_any()
                }}
            </section>
            <section class="section" aria-labelledby="endpoints-title">
                <h2 id="endpoints-title">"Endpoints"</h2>
                <dl class="facts">
                    <dt>"Issuer"</dt><dd class="mono">{issuer.clone()}</dd>
                    <dt>"Discovery"</dt><dd class="mono">{format!("{issuer}/.well-known/openid-configuration")}</dd>
                    <dt>"Token"</dt><dd class="mono">{format!("{issuer}/oauth/token")}</dd>
                </dl>
            </section>
            {app.confidential.then(|| view! { <ConfidentialParts app=app.clone() can_write changes shown /> })}
            {can_write.then(|| view! { <DeleteApplication app=app.clone() changes /> })}
        </div>
    }
    .into_any()
}

#[component]
fn ApplicationSettings(app: Application, changes: Changes) -> impl IntoView {
    let name = RwSignal::new(app.name.clone());
    let uris = RwSignal::new(app.redirect_uris.join("\n"));
    let client_id = app.client_id.clone();
    view! {
        <form class="stacked-form" on:submit=move |ev| {
            ev.prevent_default();
            changes.run(update_application(client_id.clone(), name.get_untracked(), lines(&uris.get_untracked())));
        }>
            <label for="app-name">"Name"</label>
            <input id="app-name" type="text" maxlength="128" required=true
                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            <label for="app-uris">"Redirect URIs " <span class="muted">"(one per line; exact match)"</span></label>
            <textarea id="app-uris" rows="4" class="mono"
                prop:value=move || uris.get() on:input=move |ev| uris.set(event_target_value(&ev))></textarea>
            <p class="inline-form">
                <button type="submit" class="button button-primary" disabled=move || changes.busy.get()>"Save settings"</button>
            </p>
        </form>
    }
    .into_any()
}

#[component]
fn ConfidentialParts(
    app: Application,
    can_write: bool,
    changes: Changes,
    shown: RwSignal<Option<SecretIssued>>,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let rotated = app
        .secret_rotated_at
        .map(|t| format!("Secret set {}.", format_time(t)))
        .unwrap_or_else(|| "No secret set.".to_string());
    let client_id = app.client_id.clone();
    let name = app.name.clone();
    view! {
        <section class="section" aria-labelledby="secret-title-section">
            <h2 id="secret-title-section">"Client secret"</h2>
            <p>{rotated}</p>
            {can_write.then(|| view! {
                <Show
                    when=move || asking.get()
                    fallback=move || view! { <button type="button" class="button" on:click=move |_| asking.set(true)>"Rotate secret…"</button> }
                >
                    <div class="notice notice-error" role="alertdialog" aria-label="Confirm rotation">
                        <p>{format!("The current secret of {} stops working at once; the application needs the new one to get tokens.", name)}</p>
                        <p class="inline-form">
                            <button type="button" class="button button-danger" disabled=move || changes.busy.get()
                                on:click={
                                    let client_id = client_id.clone();
                                    move |_| {
                                        asking.set(false);
                                        run_issuing(changes, shown, rotate_application_secret(client_id.clone()));
                                    }
                                }>"Rotate secret now"</button>
                            <button type="button" class="button" on:click=move |_| asking.set(false)>"Cancel"</button>
                        </p>
                    </div>
                </Show>
            })}
        </section>
        <section class="section" aria-labelledby="service-title">
            <h2 id="service-title">"Service account"</h2>
            <p>"Client-credentials tokens carry the scopes of this account's roles, given like anyone's."</p>
            {app.service_user_id.map(|id| view! {
                <p><a class="button" href=format!("/users/{id}/roles")>"Manage its roles"</a></p>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn DeleteApplication(app: Application, changes: Changes) -> impl IntoView {
    let asking = RwSignal::new(false);
    let navigate = use_navigate();
    let impact = format!(
        "Deleting {} ends its {} at once{}. Sign-ins through it stop working. This cannot be undone.",
        app.name,
        match app.live_sessions {
            1 => "1 live session".to_string(),
            n => format!("{n} live sessions"),
        },
        if app.confidential { " and deletes its service account" } else { "" },
    );
    let label = format!("Delete application {}", app.name);
    let client_id = app.client_id.clone();
    view! {
        <section class="section" aria-labelledby="danger-title">
            <h2 id="danger-title">"Delete"</h2>
            <Show
                when=move || asking.get()
                fallback=move || view! { <button type="button" class="button" on:click=move |_| asking.set(true)>"Delete application…"</button> }
            >
                <div class="notice notice-error" role="alertdialog" aria-label="Confirm deletion">
                    <p>{impact.clone()}</p>
                    <p class="inline-form">
                        <button type="button" class="button button-danger" disabled=move || changes.busy.get()
                            on:click={
                                let (client_id, navigate) = (client_id.clone(), navigate.clone());
                                move |_| {
                                    let (client_id, navigate) = (client_id.clone(), navigate.clone());
                                    changes.busy.set(true);
                                    leptos::task::spawn_local(async move {
                                        let outcome = delete_application(client_id).await;
                                        changes.busy.set(false);
                                        match outcome {
                                            Ok(_) => navigate("/applications", Default::default()),
                                            Err(error) if error.code == ErrorCode::Unauthenticated => send_to_sign_in(),
                                            Err(error) => changes.fail(error.message),
                                        }
                                    });
                                }
                            }>
                            {label.clone()}
                        </button>
                        <button type="button" class="button" on:click=move |_| asking.set(false)>"Cancel"</button>
                    </p>
                </div>
            </Show>
        </section>
    }
    .into_any()
}
