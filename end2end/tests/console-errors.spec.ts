import { test, expect } from '../fixtures';
import { signIn } from '../pages/SignInPage';
import { UsersPage } from '../pages/UsersPage';
import { auditLogPage, groupsPage, rolesPage, scopesPage } from '../pages/sections';

/**
 * Every spec already fails on browser console errors and uncaught page errors
 * (see the auto fixture in fixtures.ts). This spec makes sure each page is
 * loaded and hydrated at least once on its own, so that a hydration mismatch
 * on any page is reported against that page.
 */
test.describe('Browser errors', () => {
  test('the sign-in page loads and hydrates without browser errors', async ({ signInPage, browserErrors }) => {
    await signInPage.goto();
    expect(browserErrors.unexpected).toEqual([]);
  });

  test('every console page loads and hydrates without browser errors', async ({ page, browserErrors }) => {
    await signIn(page);
    for (const listPage of [new UsersPage(page), rolesPage(page), scopesPage(page), groupsPage(page), auditLogPage(page)]) {
      await listPage.goto();
      await expect(listPage.rows.first()).toBeVisible();
      expect(browserErrors.unexpected, `browser errors after loading ${listPage.spec.path}`).toEqual([]);
    }
  });
});
