//! The account page (`/account`): the signed-in person's two-step verification and password.

use leptos::prelude::*;

use super::{
    account_overview, change_password, confirm_second_factor, renew_recovery_codes,
    start_second_factor, turn_off_second_factor, AccountSettings, Enrolment, RecoveryCodes,
};
use crate::ui::{Changes, ErrorNotice, PageHeader, ToastRegion};

#[component]
pub fn AccountPage() -> impl IntoView {
    let changes = Changes::default();
    let overview = Resource::new(move || changes.refresh.get(), |_| account_overview());
    // Recovery codes stay on screen, above everything, until the person says they kept them.
    let codes = RwSignal::new(None::<RecoveryCodes>);
    view! {
        <PageHeader title="Your account" lead="How you sign in to Tessera. These settings are yours alone; administrators cannot see your codes." />
        <ToastRegion toast=changes.toast />
        <CodesShown codes />
        <Transition fallback=|| view! { <div class="card skeleton-block"></div> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(account) => view! {
                        <Requirement account=account.clone() />
                        <section class="card section" aria-labelledby="two-step">
                            <h2 id="two-step">"Two-step verification"</h2>
                            {if account.second_factor {
                                view! { <SecondFactorOn account=account.clone() changes codes /> }.into_any()
                            } else {
                                view! { <SecondFactorOff changes codes /> }.into_any()
                            }}
                        </section>
                        <section class="card section" aria-labelledby="password">
                            <h2 id="password">"Password"</h2>
                            <PasswordForm changes />
                        </section>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

/// Says when the deployment holds back write scopes until the person has a second factor.
#[component]
fn Requirement(account: AccountSettings) -> impl IntoView {
    (!account.withheld_scopes.is_empty()).then(|| {
        view! {
            <div class="notice notice-warn section" role="status">
                <p class="strong">"Changes need two-step verification here."</p>
                <p>
                    "This Tessera requires a second factor for anyone who can change things. Until "
                    "you sign in with one, these scopes of yours do not count: "
                    <span class="mono">{account.withheld_scopes.join(", ")}</span>
                    ". Turn on two-step verification below; it counts for this session at once."
                </p>
            </div>
        }
    })
}

#[component]
fn CodesShown(codes: RwSignal<Option<RecoveryCodes>>) -> impl IntoView {
    move || {
        codes.get().map(|shown| {
            view! {
                <section class="notice notice-ok secret-panel section" aria-labelledby="codes-title">
                    <h2 id="codes-title">"Your recovery codes"</h2>
                    <p>{shown.message}</p>
                    <ol class="recovery-codes mono" aria-label="Recovery codes">
                        {shown.codes.into_iter().map(|code| view! { <li>{code}</li> }).collect_view()}
                    </ol>
                    <p>
                        "Keep them somewhere safe, apart from your phone: each one signs you in once if "
                        "the phone is lost. Tessera keeps only their hashes and cannot show them again."
                    </p>
                    <p class="inline-form">
                        <button type="button" class="button button-primary" on:click=move |_| codes.set(None)>
                            "I have saved them"
                        </button>
                    </p>
                </section>
            }
        })
    }
}

#[component]
fn SecondFactorOff(changes: Changes, codes: RwSignal<Option<RecoveryCodes>>) -> impl IntoView {
    let enrolment = RwSignal::new(None::<Enrolment>);
    let code = RwSignal::new(String::new());
    let start = move |_| {
        changes.busy.set(true);
        leptos::task::spawn_local(async move {
            let outcome = start_second_factor().await;
            changes.busy.set(false);
            match outcome {
                Ok(started) => enrolment.set(Some(started)),
                Err(error) => changes.fail(error.message),
            }
        });
    };
    let confirm = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        changes.run(async move {
            let shown = confirm_second_factor(code.get_untracked()).await?;
            let message = shown.message.clone();
            codes.set(Some(shown));
            enrolment.set(None);
            Ok(crate::access::Change {
                changed: true,
                message,
                takes_effect: None,
                sign_out: None,
            })
        });
    };
    view! {
        <p>
            <span class="badge badge-off">"Off"</span>
            " Sign-in asks for your password only. With an authenticator app on your phone "
            "(any app that reads TOTP QR codes), a stolen password is not enough."
        </p>
        {move || match enrolment.get() {
            None => view! {
                <p class="inline-form">
                    <button type="button" class="button button-primary" disabled=move || changes.busy.get() on:click=start>
                        "Set up two-step verification"
                    </button>
                </p>
            }
            .into_any(),
            Some(started) => view! {
                <ol class="steps">
                    <li>
                        <p>"Scan this code with your authenticator app."</p>
                        <img class="qr" src=started.qr_image width="200" height="200"
                            alt="QR code holding your new authenticator key" />
                    </li>
                    <li>
                        <p>"Or type this key into the app:"</p>
                        <p><input class="mono secret" type="text" readonly=true aria-label="Authenticator key" value=started.key /></p>
                    </li>
                    <li>
                        <form class="inline-form" on:submit=confirm>
                            <label for="first-code">"Enter the 6-digit code the app shows"</label>
                            <input id="first-code" type="text" inputmode="numeric" autocomplete="one-time-code"
                                maxlength="8" required=true class="mono code-input"
                                prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
                            <button type="submit" class="button button-primary" disabled=move || changes.busy.get()>
                                "Turn on"
                            </button>
                        </form>
                    </li>
                </ol>
            }
            .into_any(),
        }}
    }
}

#[component]
fn SecondFactorOn(
    account: AccountSettings,
    changes: Changes,
    codes: RwSignal<Option<RecoveryCodes>>,
) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let renew = move |_| {
        changes.run(async move {
            let shown = renew_recovery_codes(code.get_untracked()).await?;
            let message = shown.message.clone();
            codes.set(Some(shown));
            code.set(String::new());
            Ok(crate::access::Change {
                changed: true,
                message,
                takes_effect: None,
                sign_out: None,
            })
        });
    };
    let turn_off = move |_| {
        changes.run(async move {
            let change = turn_off_second_factor(code.get_untracked()).await?;
            code.set(String::new());
            Ok(change)
        });
    };
    let left = match account.recovery_codes_left {
        0 => "No recovery codes left: make new ones now.".to_string(),
        1 => "1 unused recovery code left.".to_string(),
        n => format!("{n} unused recovery codes left."),
    };
    view! {
        <p>
            <span class="badge badge-on">"On"</span>
            " Sign-in asks for a code from your authenticator app after your password. "
            {left}
        </p>
        <form class="inline-form" on:submit=|ev| ev.prevent_default()>
            <label for="current-code">"Current code"</label>
            <input id="current-code" type="text" inputmode="numeric" autocomplete="one-time-code"
                maxlength="24" class="mono code-input" aria-describedby="current-code-hint"
                prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
            <button type="button" class="button" disabled=move || changes.busy.get() on:click=renew>
                "Make new recovery codes"
            </button>
            <button type="button" class="button button-danger" disabled=move || changes.busy.get() on:click=turn_off>
                "Turn off two-step verification"
            </button>
        </form>
        <p id="current-code-hint" class="muted small">
            "Both need a code from your app (or a recovery code), so that an unlocked screen is not enough."
        </p>
    }
}

#[component]
fn PasswordForm(changes: Changes) -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if new.get_untracked() != repeat.get_untracked() {
            changes.fail("The new password and its repetition differ. Type them again.");
            return;
        }
        changes.run(async move {
            let change = change_password(current.get_untracked(), new.get_untracked()).await?;
            for field in [current, new, repeat] {
                field.set(String::new());
            }
            Ok(change)
        });
    };
    view! {
        <form class="stacked-form narrow-form" on:submit=submit>
            <label for="current-password">"Current password"</label>
            <input id="current-password" type="password" autocomplete="current-password" required=true maxlength="1024"
                prop:value=move || current.get() on:input=move |ev| current.set(event_target_value(&ev)) />
            <label for="new-password">"New password " <span class="muted">"(at least 8 characters; a passphrase of several words is best)"</span></label>
            <input id="new-password" type="password" autocomplete="new-password" required=true maxlength="1024"
                prop:value=move || new.get() on:input=move |ev| new.set(event_target_value(&ev)) />
            <label for="repeat-password">"New password again"</label>
            <input id="repeat-password" type="password" autocomplete="new-password" required=true maxlength="1024"
                prop:value=move || repeat.get() on:input=move |ev| repeat.set(event_target_value(&ev)) />
            <p class="inline-form">
                <button type="submit" class="button button-primary" disabled=move || changes.busy.get()>
                    "Change password"
                </button>
            </p>
            <p class="muted small">"Your other sessions end; this one stays signed in."</p>
        </form>
    }
}
