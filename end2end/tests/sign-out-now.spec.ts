import { test, expect } from '../fixtures';
import type { Browser, Page } from '@playwright/test';
import { signIn } from '../pages/SignInPage';
import { waitForHydration } from '../pages/hydration';

// "No access right now" in one step. The demo has one account with a password, the
// administrator, so the person signed out here is the administrator, in a second browser: the
// console doing the change is one of that person's sessions too, and ends with the rest.

async function secondConsole(browser: Browser): Promise<{ page: Page; close: () => Promise<void> }> {
  const context = await browser.newContext({ baseURL: test.info().project.use.baseURL });
  const page = await context.newPage();
  await signIn(page);
  await page.goto('/roles');
  await waitForHydration(page);
  return { page, close: () => context.close() };
}

async function openAdministrator(page: Page, tab: 'Roles' | 'Sessions') {
  await signIn(page);
  await page.goto('/users?q=admin');
  await page.getByRole('link', { name: 'Administrator', exact: true }).click();
  await waitForHydration(page);
  await page.getByRole('tab', { name: tab }).click();
  await expect(page).toHaveURL(new RegExp(`/${tab.toLowerCase()}$`));
}

async function expectSentToSignIn(page: Page) {
  await page.getByRole('link', { name: 'Audit log' }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
}

test('revoke all sessions sends every open console of the person to sign in', async ({ page, browser }) => {
  const other = await secondConsole(browser);
  await openAdministrator(page, 'Sessions');
  const rows = page.getByRole('row').filter({ has: page.getByRole('cell') });
  expect(await rows.count()).toBeGreaterThan(1);

  await page.getByRole('button', { name: 'Revoke all sessions' }).click();
  await expect(page.getByRole('status')).toContainText(/Ended \d+ sessions of Administrator/);

  await expectSentToSignIn(other.page);
  await expectSentToSignIn(page);
  await other.close();
});

test('a role removed with "also sign them out now" ends the sessions in the same change', async ({ page, browser }) => {
  // Give the administrator a role to lose.
  await openAdministrator(page, 'Roles');
  await page.getByLabel('Add a direct role').selectOption({ label: 'Auditor' });
  await page.getByRole('button', { name: 'Add role' }).click();
  await expect(page.getByRole('status')).toContainText('Auditor');

  const other = await secondConsole(browser);
  const toggle = page.getByRole('checkbox', { name: /Also sign them out now/ });
  await toggle.focus();
  await page.keyboard.press('Space');
  await expect(toggle).toBeChecked();
  await page.getByRole('button', { name: 'Remove role Auditor' }).click();
  await expect(page.getByRole('status')).toContainText(
    /Removed the role Auditor from Administrator and signed them out: \d+ sessions ended\. The change holds right now\./,
  );

  // One audited change, not a removal followed by a separate sign-out.
  await expectSentToSignIn(other.page);
  await other.close();
  await signIn(page);
  await page.goto('/audit');
  await waitForHydration(page);
  await expect(page.getByText(/removed the role Auditor from admin and signed them out/)).toBeVisible();
});
