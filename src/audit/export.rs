//! `GET /audit/export?format=jsonl|csv&…filters`: the filtered log, children included, oldest
//! first, for a signed-in caller with `audit:read`. A GET that changes nothing, so a link can
//! download it.

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;

use super::{store, AuditEvent, AuditFilter, EventKind};
use crate::auth::Permission;
use crate::error::AppError;
use crate::server::context::CallerSlot;
use crate::server::AppState;

/// Events read per query while exporting.
const BATCH: i64 = 2_000;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExportParams {
    format: String,
    q: String,
    actor: String,
    target: String,
    kind: String,
    from: String,
    to: String,
    event: String,
}

pub async fn export(
    State(state): State<AppState>,
    Extension(caller): Extension<CallerSlot>,
    Query(params): Query<ExportParams>,
) -> Response {
    let Some(caller) = caller.0 else {
        return refuse(AppError::unauthenticated());
    };
    if !caller.has(Permission::AuditRead) {
        tracing::warn!(user_id = %caller.user_id, "refused: audit export without audit:read");
        return refuse(AppError::forbidden(Permission::AuditRead.action()));
    }
    let csv = match params.format.as_str() {
        "csv" => true,
        "jsonl" | "" => false,
        other => {
            return refuse(AppError::invalid(format!(
                "“{other}” is not an export format; use jsonl or csv."
            )))
        }
    };
    let filter = AuditFilter {
        q: params.q,
        actor: params.actor,
        target: params.target,
        kind: EventKind::parse(&params.kind),
        from: params.from,
        to: params.to,
        event: params.event,
    };
    // NOTE: the export is assembled in memory, a batch at a time from one snapshot. A log of
    // millions of events wants a streamed body; the batches are already shaped for it.
    let mut body = String::new();
    if csv {
        body.push_str("id,at,time_utc,actor_id,actor_name,action,target_type,target_id,target_name,parent_id,summary,details,request_id\n");
    }
    let result: Result<usize, AppError> = async {
        let mut tx = state.db.read().await?;
        let (mut after, mut written) = (0i64, 0usize);
        loop {
            let batch = store::export_batch(&mut tx, &filter, after, BATCH).await?;
            let Some(last) = batch.last() else {
                break;
            };
            after = last.id;
            for event in &batch {
                if csv {
                    write_csv(&mut body, event);
                } else {
                    write_json(&mut body, event);
                }
            }
            written += batch.len();
        }
        Ok(written)
    }
    .await;
    match result {
        Ok(count) => {
            tracing::info!(user_id = %caller.user_id, count, csv, "exported the audit log");
            let (kind, name) = if csv {
                ("text/csv; charset=utf-8", "tessera-audit.csv")
            } else {
                ("application/x-ndjson", "tessera-audit.jsonl")
            };
            let mut response = body.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
            if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(error) => refuse(error),
    }
}

fn refuse(error: AppError) -> Response {
    (error.status(), axum::Json(error)).into_response()
}

fn write_json(out: &mut String, event: &AuditEvent) {
    let details: serde_json::Value =
        serde_json::from_str(&event.details).unwrap_or(serde_json::Value::Null);
    let line = serde_json::json!({
        "id": event.id,
        "at": event.at,
        "time_utc": crate::ui::format_time(event.at),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_name": event.target_name,
        "parent_id": event.parent_id,
        "summary": event.summary,
        "details": details,
        "request_id": event.request_id,
    });
    out.push_str(&line.to_string());
    out.push('\n');
}

/// One CSV field, quoted when it must be (RFC 4180). A field a spreadsheet would run as a
/// formula gets a leading apostrophe, so an exported name cannot execute in the reader's
/// spreadsheet.
fn csv_field(out: &mut String, value: &str) {
    let guarded;
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        guarded = format!("'{value}");
        guarded.as_str()
    } else {
        value
    };
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

fn write_csv(out: &mut String, event: &AuditEvent) {
    let fields = [
        event.id.to_string(),
        event.at.to_string(),
        crate::ui::format_time(event.at),
        event.actor_id.clone().unwrap_or_default(),
        event.actor_name.clone(),
        event.action.clone(),
        event.target_type.clone().unwrap_or_default(),
        event.target_id.clone().unwrap_or_default(),
        event.target_name.clone().unwrap_or_default(),
        event.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        event.summary.clone(),
        event.details.clone(),
        event.request_id.clone().unwrap_or_default(),
    ];
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(out, field);
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(value: &str) -> String {
        let mut out = String::new();
        csv_field(&mut out, value);
        out
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("line\nbreak"), "\"line\nbreak\"");
    }
}
