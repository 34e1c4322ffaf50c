use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The sign-in page: a plain HTML form posted to `/auth/sign-in`, so it works before the page
/// hydrates and without JavaScript at all.
#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = move || query.read().get("error");
    let failed = move || error().is_some_and(|e| e == "1");
    let signed_out = move || query.read().get("signed_out").is_some();
    // An application's sign-in request passes through here; say so, and who is asking.
    let for_application = move || {
        let next = next();
        let path = next.split('?').next().unwrap_or("");
        (path == "/oauth/authorize").then(|| {
            let query = next.split_once('?').map(|(_, q)| q).unwrap_or("");
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix("client_id="))
                .map(|id| id.to_string())
                .unwrap_or_default()
        })
    };

    view! {
        <Title text="Sign in" />
        <main class="standalone" id="main">
            <div class="card narrow signin">
                <div class="brand brand-large">
                    <span class="brand-mark" aria-hidden="true"></span>
                    "Tessera"
                </div>
                <h1>"Sign in to Tessera"</h1>
                {move || for_application().map(|client_id| view! {
                    <p class="lead">
                        "An application (" <code class="mono">{client_id}</code> ") asks you to sign in. "
                        "You return to it afterwards."
                    </p>
                })}
                <Show when=failed>
                    <div class="notice notice-error" role="alert">
                        <p>
                            "The username or password is incorrect, or the account cannot sign in. "
                            "Check both and try again."
                        </p>
                    </div>
                </Show>
                {move || {
                    let sentence = match error().as_deref() {
                        Some("expired") => "The sign-in took too long or was interrupted. Sign in again.".to_string(),
                        Some("attempts") => "Too many wrong codes. Sign in again with your password for new tries.".to_string(),
                        Some("wait") => {
                            let seconds = query.read().get("seconds").and_then(|s| s.parse::<u32>().ok()).unwrap_or(60);
                            format!(
                                "Too many failed sign-ins for this account. Wait {} and try again.",
                                if seconds == 1 { "a second".to_string() } else { format!("{seconds} seconds") }
                            )
                        }
                        _ => return None,
                    };
                    Some(view! { <div class="notice notice-error" role="alert"><p>{sentence}</p></div> })
                }}
                <Show when=signed_out>
                    <div class="notice" role="status">
                        <p>"You are signed out."</p>
                    </div>
                </Show>
                <form method="post" action="/auth/sign-in" class="form">
                    <input type="hidden" name="next" value=next />
                    <label for="username">"Username"</label>
                    <input
                        id="username"
                        name="username"
                        type="text"
                        autocomplete="username"
                        autocapitalize="none"
                        spellcheck="false"
                        required
                        maxlength="64"
                        autofocus
                    />
                    <label for="password">"Password"</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        maxlength="1024"
                    />
                    <button type="submit" class="button button-primary">"Sign in"</button>
                </form>
            </div>
        </main>
    }
}

/// The second step of a sign-in for accounts with two-step verification: a code from the
/// authenticator app, or a recovery code. A plain form like the first step.
#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let wrong = move || query.read().get("error").is_some();
    view! {
        <Title text="Two-step verification" />
        <main class="standalone" id="main">
            <div class="card narrow signin">
                <div class="brand brand-large">
                    <span class="brand-mark" aria-hidden="true"></span>
                    "Tessera"
                </div>
                <h1>"Two-step verification"</h1>
                <p class="lead">"Enter the 6-digit code your authenticator app shows for Tessera."</p>
                <Show when=wrong>
                    <div class="notice notice-error" role="alert">
                        <p>"That code is not right. Enter the code the app shows now (codes change every 30 seconds), or a recovery code."</p>
                    </div>
                </Show>
                <form method="post" action="/auth/verify" class="form">
                    <input type="hidden" name="next" value=next />
                    <label for="code">"Code"</label>
                    <input
                        id="code"
                        name="code"
                        type="text"
                        inputmode="numeric"
                        autocomplete="one-time-code"
                        autocapitalize="none"
                        spellcheck="false"
                        required
                        maxlength="24"
                        class="mono code-input"
                        aria-describedby="code-hint"
                        autofocus
                    />
                    <p id="code-hint" class="muted small">
                        "Lost your phone? Enter one of your recovery codes instead (like abcd-efgh-jkmn-pqrs)."
                    </p>
                    <button type="submit" class="button button-primary">"Verify"</button>
                </form>
                <p class="small"><a href="/sign-in">"Start again"</a></p>
            </div>
        </main>
    }
}
