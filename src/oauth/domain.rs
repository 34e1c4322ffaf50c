//! Managing applications: create, edit, rotate a secret, delete. Each is one transaction with
//! its audit event. A confidential application gets a service account, an ordinary user without
//! a password, so that roles reach its client-credentials tokens the way they reach people.

use super::store::{self, NewClient};
use super::{Application, ApplicationInput};
use crate::access::domain::{record, Actor, Event};
use crate::access::Change;
use crate::auth::session::{hash_token, random_token};
use crate::error::{AppError, AppResult};
use crate::storage::Tx;

/// What a created application or a rotated secret gives back: the secret, shown once.
pub struct Issued {
    pub change: Change,
    pub application: Application,
    pub secret: Option<String>,
}

/// A client id: 3 to 48 of a–z, 0–9, `.`, `_`, `-`.
pub fn check_client_id(client_id: &str) -> AppResult<String> {
    let id = client_id.trim().to_string();
    let ok = (3..=48).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(id)
    } else {
        Err(AppError::invalid(
            "A client id is 3 to 48 characters: lower-case letters, digits, “.”, “_” and “-”.",
        ))
    }
}

/// A suggested client id from a name: "Inventory Sync" → "inventory-sync".
pub fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').chars().take(48).collect()
}

fn is_loopback_http(uri: &str) -> bool {
    ["http://localhost", "http://127.0.0.1", "http://[::1]"]
        .iter()
        .any(|prefix| {
            uri.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
        })
}

/// One redirect URI: absolute, no fragment, https — or plain http on a loopback address (RFC
/// 8252 §7.3), or a private-use scheme of a native app such as `com.example.app:/callback`.
pub fn check_redirect_uri(uri: &str) -> AppResult<()> {
    let refuse = |why: &str| Err(AppError::invalid(format!("Redirect URI “{uri}”: {why}")));
    if uri.len() > 2000 {
        return refuse("it is longer than 2,000 characters.");
    }
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse("it contains spaces.");
    }
    if uri.contains('#') {
        return refuse("it must not contain a fragment (#).");
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return refuse("it is not an absolute URI (https://…).");
    };
    match scheme {
        "https" => {
            let host = rest.strip_prefix("//").unwrap_or("");
            if host.is_empty() || host.starts_with('/') {
                return refuse("it has no host.");
            }
            Ok(())
        }
        "http" if is_loopback_http(uri) => Ok(()),
        "http" => refuse(
            "use https; plain http is allowed only on loopback addresses (localhost, 127.0.0.1).",
        ),
        _ if scheme.contains('.')
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) =>
        {
            Ok(())
        }
        _ => refuse(
            "use https, http on a loopback address, or a reverse-domain scheme (com.example.app:/…).",
        ),
    }
}

/// Trims, drops empty lines and duplicates, and checks each redirect URI.
pub fn check_redirect_uris(uris: &[String]) -> AppResult<Vec<String>> {
    let mut clean: Vec<String> = Vec::new();
    for uri in uris.iter().map(|u| u.trim()).filter(|u| !u.is_empty()) {
        check_redirect_uri(uri)?;
        if !clean.iter().any(|u| u == uri) {
            clean.push(uri.to_string());
        }
    }
    if clean.len() > 20 {
        return Err(AppError::invalid(
            "An application can have at most 20 redirect URIs.",
        ));
    }
    Ok(clean)
}

fn check_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 128 {
        return Err(AppError::invalid(
            "Give the application a name of 1 to 128 characters.",
        ));
    }
    Ok(name.to_string())
}

async fn existing(tx: &mut Tx, client_id: &str) -> AppResult<store::ClientRow> {
    store::client(tx, client_id).await?.ok_or_else(|| {
        AppError::not_found(format!(
            "There is no application “{client_id}”. It may have been deleted."
        ))
    })
}

pub async fn create(
    tx: &mut Tx,
    actor: &Actor,
    input: &ApplicationInput,
    now: i64,
) -> AppResult<Issued> {
    let name = check_name(&input.name)?;
    let client_id = if input.client_id.trim().is_empty() {
        check_client_id(&slug(&name))?
    } else {
        check_client_id(&input.client_id)?
    };
    let redirect_uris = check_redirect_uris(&input.redirect_uris)?;
    if !input.confidential && redirect_uris.is_empty() {
        return Err(AppError::invalid(
            "A public application signs people in, so it needs at least one redirect URI.",
        ));
    }
    if store::client(tx, &client_id).await?.is_some() {
        return Err(AppError::conflict(format!(
            "The client id “{client_id}” is taken. Choose another."
        )));
    }
    let secret = input.confidential.then(random_token);
    let service_user_id = if input.confidential {
        let username = format!("service-{client_id}");
        let user = crate::users::store::NewUser {
            username: username.clone(),
            display_name: format!("{name} (service account)")
                .chars()
                .take(128)
                .collect(),
            email: None,
            password_hash: None,
        };
        Some(crate::users::store::insert(tx, &user, now).await?)
    } else {
        None
    };
    let secret_hash = secret.as_deref().map(hash_token);
    store::insert_client(
        tx,
        &NewClient {
            client_id: &client_id,
            name: &name,
            confidential: input.confidential,
            secret_hash: secret_hash.as_deref(),
            redirect_uris: &redirect_uris,
            service_user_id: service_user_id.as_deref(),
            now,
        },
    )
    .await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "client.create",
            target_type: "client",
            target_id: &client_id,
            target_name: &name,
            summary: format!(
                "{} created the {} application {name}",
                actor.name,
                if input.confidential {
                    "confidential"
                } else {
                    "public"
                }
            ),
            details: serde_json::json!({
                "client_id": client_id,
                "confidential": input.confidential,
                "redirect_uris": redirect_uris,
                "service_user_id": service_user_id,
            }),
        },
    )
    .await?;
    let application = store::application(tx, &client_id, now).await?;
    Ok(Issued {
        change: Change::ended(format!("Created the application {name}.")),
        application,
        secret,
    })
}

pub async fn update(
    tx: &mut Tx,
    actor: &Actor,
    client_id: &str,
    name: &str,
    redirect_uris: &[String],
    now: i64,
) -> AppResult<Change> {
    let before = existing(tx, client_id).await?;
    let name = check_name(name)?;
    let uris = check_redirect_uris(redirect_uris)?;
    if !before.confidential && uris.is_empty() {
        return Err(AppError::invalid(
            "A public application needs at least one redirect URI.",
        ));
    }
    let old_uris = before.redirect_uris();
    if before.name == name && old_uris == uris {
        return Ok(Change::unchanged(format!(
            "{name} already has this name and these redirect URIs; nothing changed."
        )));
    }
    store::update_client(tx, &before.client_id, &name, &uris, now).await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "client.update",
            target_type: "client",
            target_id: &before.client_id,
            target_name: &name,
            summary: format!("{} edited the application {name}", actor.name),
            details: serde_json::json!({
                "before": { "name": before.name, "redirect_uris": old_uris },
                "after": { "name": name, "redirect_uris": uris },
            }),
        },
    )
    .await?;
    Ok(Change::ended(format!(
        "Saved {name}. New sign-ins use the new redirect URIs at once."
    )))
}

pub async fn rotate_secret(
    tx: &mut Tx,
    actor: &Actor,
    client_id: &str,
    now: i64,
) -> AppResult<Issued> {
    let client = existing(tx, client_id).await?;
    if !client.confidential {
        return Err(AppError::invalid(format!(
            "{} is a public application: it has no secret to rotate.",
            client.name
        )));
    }
    let secret = random_token();
    store::set_secret(tx, &client.client_id, &hash_token(&secret), now).await?;
    record(
        tx,
        actor,
        now,
        Event {
            action: "client.secret_rotate",
            target_type: "client",
            target_id: &client.client_id,
            target_name: &client.name,
            summary: format!("{} rotated the secret of {}", actor.name, client.name),
            details: serde_json::json!({ "client_id": client.client_id }),
        },
    )
    .await?;
    let application = store::application(tx, &client.client_id, now).await?;
    Ok(Issued {
        change: Change::ended(format!(
            "Rotated the secret of {}. The old secret stopped working now.",
            client.name
        )),
        application,
        secret: Some(secret),
    })
}

pub async fn delete(tx: &mut Tx, actor: &Actor, client_id: &str, now: i64) -> AppResult<Change> {
    let client = existing(tx, client_id).await?;
    let sessions = store::application(tx, &client.client_id, now)
        .await?
        .live_sessions;
    store::delete_client(tx, &client.client_id).await?;
    if let Some(service_user) = &client.service_user_id {
        crate::users::store::delete(tx, service_user).await?;
    }
    record(
        tx,
        actor,
        now,
        Event {
            action: "client.delete",
            target_type: "client",
            target_id: &client.client_id,
            target_name: &client.name,
            summary: format!("{} deleted the application {}", actor.name, client.name),
            details: serde_json::json!({
                "client_id": client.client_id,
                "sessions_ended": sessions,
                "service_user_id": client.service_user_id,
            }),
        },
    )
    .await?;
    Ok(Change::ended(format!(
        "Deleted {}. Its {} and its service account are gone; its tokens stop working at once.",
        client.name,
        crate::sessions::domain::sessions(sessions as u64)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_loopback_http_or_a_private_scheme() {
        for ok in [
            "https://app.example.com/callback",
            "http://127.0.0.1:8080/cb",
            "http://localhost/cb",
            "com.example.app:/oauth",
        ] {
            assert!(check_redirect_uri(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://app.example.com/cb",
            "http://localhost.evil.com/cb",
            "https://app.example.com/cb#x",
            "javascript:alert(1)",
            "https:///nohost",
            "/relative",
            "https://app.example.com/a b",
        ] {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_client_id_is_suggested_from_the_name() {
        assert_eq!(slug("  Inventory Sync! "), "inventory-sync");
        assert!(check_client_id("inventory-sync").is_ok());
        assert!(check_client_id("Inventory").is_err());
        assert!(check_client_id("ab").is_err());
    }
}
