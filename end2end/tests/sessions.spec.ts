import { test, expect } from '../fixtures';
import { signIn } from '../pages/SignInPage';
import { waitForHydration } from '../pages/hydration';

// "No access right now": an admin revokes a session from the Sessions tab, and the console
// open in that session is sent to sign in at its next action.
test('revoking a session sends its open console to sign in at the next action', async ({ page, browser }) => {
  // A second browser, signed in as the same administrator: the session to end.
  const other = await browser.newContext({ baseURL: test.info().project.use.baseURL });
  const otherPage = await other.newPage();
  await signIn(otherPage);
  await otherPage.goto('/roles');
  await waitForHydration(otherPage);

  await signIn(page);
  await page.goto('/users?q=admin');
  await page.locator('#main').getByRole('link', { name: 'Administrator', exact: true }).click();
  await waitForHydration(page);
  await page.getByRole('tab', { name: 'Sessions' }).click();
  await expect(page).toHaveURL(/\/sessions$/);
  const rows = page.getByRole('row').filter({ has: page.getByRole('cell') });
  await expect(rows.filter({ hasText: 'This session' })).toHaveCount(1);
  const others = rows.filter({ hasNotText: 'This session' });
  expect(await others.count()).toBeGreaterThan(0);

  // End the newest session that is not this one: the second browser's.
  await others.first().getByRole('button', { name: /^Revoke the session started/ }).click();
  await expect(page.getByRole('status')).toContainText('Ended the session');

  // The other console's next action lands on the sign-in page.
  await otherPage.getByRole('link', { name: 'Audit log' }).click();
  await expect(otherPage).toHaveURL(/\/sign-in/);
  await expect(otherPage.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await other.close();

  // This console carries on.
  await page.getByRole('tab', { name: 'Roles' }).click();
  await expect(page).toHaveURL(/\/roles$/);
});
