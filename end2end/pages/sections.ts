import type { Page } from '@playwright/test';
import { ListPage } from './ListPage';

/** /roles: roles with their scopes; "Administrator" is built in. */
export function rolesPage(page: Page): ListPage {
  return new ListPage(page, {
    path: '/roles',
    heading: 'Roles',
    searchLabel: 'Search roles',
    columns: ['Role', 'Description', 'Scopes', 'Type'],
  });
}

/** /scopes: the permission scopes, e.g. "users:read". */
export function scopesPage(page: Page): ListPage {
  return new ListPage(page, {
    path: '/scopes',
    heading: 'Scopes',
    searchLabel: 'Search scopes',
    columns: ['Scope', 'Description', 'Type'],
  });
}

/** /groups: user groups, e.g. "Engineering". */
export function groupsPage(page: Page): ListPage {
  return new ListPage(page, {
    path: '/groups',
    heading: 'Groups',
    searchLabel: 'Search groups',
    columns: ['Group', 'Description', 'Members'],
  });
}

/** /audit: the audit log, newest first. */
export function auditLogPage(page: Page): ListPage {
  return new ListPage(page, {
    path: '/audit',
    heading: 'Audit log',
    searchLabel: 'Search the audit log',
    columns: ['When', 'Actor', 'Event'],
  });
}
