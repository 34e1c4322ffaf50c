import { test, expect } from '../fixtures';
import { signIn } from '../pages/SignInPage';
import { SECTION_NAV_LINKS } from '../pages/ConsolePage';
import { auditLogPage, groupsPage, rolesPage, scopesPage } from '../pages/sections';

test.describe('Console navigation', () => {
  test('the console shell shows the brand, the signed-in user and a sign-out button', async ({ page }) => {
    const shell = await signIn(page);

    await expect(shell.homeLink).toBeVisible();
    await expect(shell.signOutButton).toBeVisible();
    // The first administrator is called "Administrator"; TESSERA_ADMIN_DISPLAY_NAME overrides.
    await expect(shell.banner).toContainText(process.env.TESSERA_ADMIN_DISPLAY_NAME ?? /admin/i);
    for (const name of ['Users', 'Roles & scopes', 'Audit log'] as const) {
      await expect(shell.mainNavLink(name)).toBeVisible();
    }
    await shell.expectCurrentSection('Users');
  });

  test('the main navigation reaches Roles, Scopes, Groups and the Audit log', async ({ page }) => {
    const shell = await signIn(page);

    await shell.mainNavLink('Roles & scopes').click();
    const roles = rolesPage(page);
    await roles.expectLoaded();
    await roles.expectColumns();
    await expect(roles.search).toBeVisible();
    await expect(roles.row('Administrator')).toContainText('Built-in');
    await expect(roles.row('Operator')).toBeVisible();
    await expect(roles.row('Auditor')).toBeVisible();
    await shell.expectCurrentSection('Roles & scopes');
    for (const name of SECTION_NAV_LINKS) {
      await expect(shell.sectionNavLink(name)).toBeVisible();
    }

    await shell.sectionNavLink('Scopes').click();
    const scopes = scopesPage(page);
    await scopes.expectLoaded();
    await scopes.expectColumns();
    await expect(scopes.search).toBeVisible();
    await expect(scopes.row('users:read')).toBeVisible();
    await shell.expectCurrentSection('Roles & scopes');

    await shell.sectionNavLink('Groups').click();
    const groups = groupsPage(page);
    await groups.expectLoaded();
    await groups.expectColumns();
    await expect(groups.search).toBeVisible();
    await expect(groups.row('Engineering')).toBeVisible();
    await expect(groups.row('Support')).toBeVisible();
    await shell.expectCurrentSection('Roles & scopes');

    await shell.mainNavLink('Audit log').click();
    const audit = auditLogPage(page);
    await audit.expectLoaded();
    await audit.expectColumns();
    await shell.expectCurrentSection('Audit log');
    await expect(shell.sectionNav).toHaveCount(0);

    await shell.mainNavLink('Users').click();
    await expect(page).toHaveURL((url) => url.pathname === '/users');
    await shell.expectHeading('Users');
    await shell.expectCurrentSection('Users');
  });

  test('the Roles & scopes section navigation marks the current page', async ({ page }) => {
    const shell = await signIn(page);

    const pages = [
      { link: 'Roles', listPage: rolesPage(page) },
      { link: 'Scopes', listPage: scopesPage(page) },
      { link: 'Groups', listPage: groupsPage(page) },
    ] as const;
    for (const { link, listPage } of pages) {
      await listPage.goto();
      await shell.expectCurrentSection('Roles & scopes');
      await shell.expectCurrentLink(shell.sectionNav, SECTION_NAV_LINKS, link);
    }
  });

  test('the audit log records that the admin signed in', async ({ page }) => {
    const shell = await signIn(page);

    await shell.mainNavLink('Audit log').click();
    const audit = auditLogPage(page);
    await audit.expectLoaded();
    await expect(audit.row(/signed in/i).first()).toBeVisible();
  });
});
