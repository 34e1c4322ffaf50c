//! The user list's filters, sort and position, as they live in the URL. The same values reach
//! the server, which turns them into SQL (see `store::filter_sql`), so a bookmarked link and a
//! bulk operation on "everyone matching" select exactly the same people.

use serde::{Deserialize, Serialize};

use crate::ui::MAX_SEARCH_CHARS;

/// Who to show. Empty strings mean "no filter".
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserFilter {
    /// Text in the username, display name or email.
    #[serde(default)]
    pub q: String,
    /// A group id: members of that group (live memberships).
    #[serde(default)]
    pub group: String,
    /// A role id: holders of that role.
    #[serde(default)]
    pub role: String,
    /// Whether `role` counts only direct assignments or also those through groups.
    #[serde(default)]
    pub via: RoleVia,
    #[serde(default)]
    pub status: Status,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleVia {
    /// Directly or through a group: who the role actually reaches.
    #[default]
    Effective,
    Direct,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Any,
    Active,
    Disabled,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// By display name, A to Z.
    #[default]
    Name,
    Newest,
    Oldest,
}

/// A page position: the row after or before which the page starts, opaque to the browser, and
/// the page's number, which only labels it ("26–50 of 41,000"): the rows come from the
/// position, so a page deep in a million users costs what the first one does.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Position {
    #[serde(default)]
    pub after: String,
    #[serde(default)]
    pub before: String,
    #[serde(default)]
    pub page: u32,
}

impl UserFilter {
    /// Trimmed and bounded, as the server uses it.
    pub fn cleaned(&self) -> UserFilter {
        UserFilter {
            q: self
                .q
                .trim()
                .chars()
                .take(MAX_SEARCH_CHARS)
                .collect::<String>()
                .to_lowercase(),
            group: self.group.trim().to_string(),
            role: self.role.trim().to_string(),
            via: self.via,
            status: self.status,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.q.trim().is_empty()
            && self.group.is_empty()
            && self.role.is_empty()
            && self.status == Status::Any
    }
}

impl RoleVia {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleVia::Effective => "effective",
            RoleVia::Direct => "direct",
        }
    }

    pub fn parse(value: &str) -> RoleVia {
        match value {
            "direct" => RoleVia::Direct,
            _ => RoleVia::Effective,
        }
    }
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Any => "any",
            Status::Active => "active",
            Status::Disabled => "disabled",
        }
    }

    pub fn parse(value: &str) -> Status {
        match value {
            "active" => Status::Active,
            "disabled" => Status::Disabled,
            _ => Status::Any,
        }
    }
}

impl Sort {
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::Newest => "newest",
            Sort::Oldest => "oldest",
        }
    }

    pub fn parse(value: &str) -> Sort {
        match value {
            "newest" => Sort::Newest,
            "oldest" => Sort::Oldest,
            _ => Sort::Name,
        }
    }
}

/// The query string of a user-list view: only what differs from the defaults, so the plain
/// list is `/users` and every link reads cleanly.
pub fn list_href(filter: &UserFilter, sort: Sort, position: &Position) -> String {
    let mut parts = Vec::new();
    let mut push = |key: &str, value: &str| {
        if !value.is_empty() {
            parts.push(format!("{key}={}", crate::ui::encode_query(value)));
        }
    };
    push("q", filter.q.trim());
    push("group", &filter.group);
    push("role", &filter.role);
    if !filter.role.is_empty() && filter.via != RoleVia::Effective {
        push("via", filter.via.as_str());
    }
    if filter.status != Status::Any {
        push("status", filter.status.as_str());
    }
    if sort != Sort::Name {
        push("sort", sort.as_str());
    }
    push("after", &position.after);
    push("before", &position.before);
    if position.page > 1 {
        push("page", &position.page.to_string());
    }
    if parts.is_empty() {
        "/users".to_string()
    } else {
        format!("/users?{}", parts.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_carry_only_what_differs_from_the_defaults() {
        assert_eq!(
            list_href(&UserFilter::default(), Sort::Name, &Position::default()),
            "/users"
        );
        let filter = UserFilter {
            q: " ann lee ".into(),
            role: "r1".into(),
            via: RoleVia::Direct,
            status: Status::Disabled,
            ..Default::default()
        };
        assert_eq!(
            list_href(&filter, Sort::Newest, &Position::default()),
            "/users?q=ann+lee&role=r1&via=direct&status=disabled&sort=newest"
        );
    }

    #[test]
    fn unknown_values_fall_back_to_the_defaults() {
        assert_eq!(Sort::parse("sideways"), Sort::Name);
        assert_eq!(Status::parse(""), Status::Any);
        assert_eq!(RoleVia::parse("x"), RoleVia::Effective);
    }
}
