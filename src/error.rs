//! The one error type Tessera shows to people and to API clients.
//!
//! An `AppError` crosses the wire as `{"code": "...", "message": "..."}`. The code is stable and meant
//! for programs; the message is a sentence meant for a person. Internal causes (SQL errors, I/O) never
//! travel: they are logged once where they are converted, and the client gets a generic sentence.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Stable, machine-readable error codes. Never rename a variant: API clients match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The caller has no valid session (never signed in, signed out, expired or revoked).
    Unauthenticated,
    /// The caller is signed in but lacks the scope the operation needs.
    Forbidden,
    /// An argument is malformed or out of range; the message names it.
    InvalidInput,
    /// The thing the caller named does not exist.
    NotFound,
    /// The change collides with existing data (a duplicate name, a rule such as anti-lockout).
    Conflict,
    /// The database is unreachable or busy; trying again later may work.
    Unavailable,
    /// A fault on the server; details are in the server log under the request id.
    Internal,
    /// The request never reached the server or the answer could not be read.
    Network,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    /// Set by the storage layer for failures that a retry of the whole transaction may cure
    /// (PostgreSQL serialization failures and deadlocks). Never sent to clients.
    #[serde(skip)]
    pub retryable: bool,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retryable: false,
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            ErrorCode::Unauthenticated,
            "Your session has ended. Sign in again to continue.",
        )
    }

    /// `action` completes the sentence "You don't have permission to …", e.g. "view users".
    pub fn forbidden(action: &str) -> Self {
        Self::new(
            ErrorCode::Forbidden,
            format!("You don't have permission to {action}."),
        )
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    pub fn unavailable() -> Self {
        Self::new(
            ErrorCode::Unavailable,
            "The database is not answering right now. Nothing was changed; try again in a moment.",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            ErrorCode::Internal,
            "Something went wrong on the server. Nothing was changed, and the fault has been logged.",
        )
    }

    /// The HTTP status an API client sees for this error.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self.code {
            ErrorCode::Unauthenticated => S::UNAUTHORIZED,
            ErrorCode::Forbidden => S::FORBIDDEN,
            ErrorCode::InvalidInput => S::UNPROCESSABLE_ENTITY,
            ErrorCode::NotFound => S::NOT_FOUND,
            ErrorCode::Conflict => S::CONFLICT,
            ErrorCode::Unavailable => S::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => S::INTERNAL_SERVER_ERROR,
            ErrorCode::Network => S::BAD_GATEWAY,
        }
    }
}

/// A parser's complaint, cut short: it may quote the request, which can be megabytes long.
fn clip(detail: &str) -> String {
    const MAX: usize = 200;
    match detail.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &detail[..end]),
        None => detail.to_string(),
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Arguments that do not deserialize are the caller's fault, not ours.
            ServerFnErrorErr::Args(detail) => AppError::invalid(format!(
                "The request's arguments are malformed: {}",
                clip(&detail)
            )),
            // On the server these arise from a request body that cannot be read at all
            // (bytes that are not UTF-8, say): the caller's fault too. In the browser they
            // mean the network failed.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Request(detail) | ServerFnErrorErr::Deserialization(detail) => {
                AppError::invalid(format!("The request could not be read: {}", clip(&detail)))
            }
            #[cfg(not(feature = "ssr"))]
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AppError::new(
                ErrorCode::Network,
                "Tessera could not be reached. Check your connection and try again.",
            ),
            #[cfg(not(feature = "ssr"))]
            ServerFnErrorErr::Deserialization(_) => AppError::new(
                ErrorCode::Network,
                "Tessera's answer could not be read. Reload the page and try again.",
            ),
            _ => AppError::internal(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_travel_as_code_and_message_without_internal_flags() {
        let mut error = AppError::conflict("A role named Operator already exists.");
        error.retryable = true;
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "conflict", "message": "A role named Operator already exists."})
        );
        let back: AppError = serde_json::from_value(json).unwrap();
        assert_eq!(back.code, ErrorCode::Conflict);
        assert!(!back.retryable);
    }

    #[test]
    fn each_code_maps_to_its_http_status() {
        assert_eq!(AppError::unauthenticated().status(), 401);
        assert_eq!(AppError::forbidden("view users").status(), 403);
        assert_eq!(AppError::invalid("x").status(), 422);
        assert_eq!(AppError::not_found("x").status(), 404);
        assert_eq!(AppError::conflict("x").status(), 409);
        assert_eq!(AppError::unavailable().status(), 503);
        assert_eq!(AppError::internal().status(), 500);
    }
}
