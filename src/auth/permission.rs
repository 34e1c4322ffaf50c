//! The console capabilities Tessera checks on the server, one built-in scope each.

use serde::{Deserialize, Serialize};

/// A typed console permission. Every server function asks for exactly one of these before it
/// does anything; the UI uses the same list only to hide what the server would refuse anyway.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Permission {
    UsersRead,
    UsersWrite,
    GroupsRead,
    GroupsWrite,
    RolesRead,
    RolesWrite,
    SessionsRevoke,
    AuditRead,
    ClientsRead,
    ClientsWrite,
}

impl Permission {
    pub const ALL: [Permission; 10] = [
        Permission::UsersRead,
        Permission::UsersWrite,
        Permission::GroupsRead,
        Permission::GroupsWrite,
        Permission::RolesRead,
        Permission::RolesWrite,
        Permission::SessionsRevoke,
        Permission::AuditRead,
        Permission::ClientsRead,
        Permission::ClientsWrite,
    ];

    /// The permissions that change things. Where a deployment requires a second factor, they
    /// count only in sessions whose sign-in passed one.
    pub const WRITES: [Permission; 5] = [
        Permission::UsersWrite,
        Permission::GroupsWrite,
        Permission::RolesWrite,
        Permission::SessionsRevoke,
        Permission::ClientsWrite,
    ];

    /// The scope that grants this permission, as stored in the `scopes` table.
    pub fn scope(self) -> &'static str {
        match self {
            Permission::UsersRead => "users:read",
            Permission::UsersWrite => "users:write",
            Permission::GroupsRead => "groups:read",
            Permission::GroupsWrite => "groups:write",
            Permission::RolesRead => "roles:read",
            Permission::RolesWrite => "roles:write",
            Permission::SessionsRevoke => "sessions:revoke",
            Permission::AuditRead => "audit:read",
            Permission::ClientsRead => "clients:read",
            Permission::ClientsWrite => "clients:write",
        }
    }

    /// Completes "You don't have permission to …".
    pub fn action(self) -> &'static str {
        match self {
            Permission::UsersRead => "view users",
            Permission::UsersWrite => "change users",
            Permission::GroupsRead => "view groups",
            Permission::GroupsWrite => "change groups",
            Permission::RolesRead => "view roles and scopes",
            Permission::RolesWrite => "change roles and scopes",
            Permission::SessionsRevoke => "end other people's sessions",
            Permission::AuditRead => "read the audit log",
            Permission::ClientsRead => "view applications",
            Permission::ClientsWrite => "change applications",
        }
    }

    pub fn from_scope(scope: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.scope() == scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_round_trips_through_its_scope_name() {
        for permission in Permission::ALL {
            assert_eq!(Permission::from_scope(permission.scope()), Some(permission));
        }
        assert_eq!(Permission::from_scope("users:delete"), None);
    }
}
