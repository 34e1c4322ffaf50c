import { test, expect } from '../fixtures';
import type { Page } from '@playwright/test';
import { signIn } from '../pages/SignInPage';
import { waitForHydration } from '../pages/hydration';
import { consoleOf, createPerson } from '../pages/people';

// "No access right now" in one step. A person made for the test (an auditor, so their console
// has the audit log to look at) is signed in in a browser of their own while the
// administrator, in another, ends their access.

async function expectSentToSignIn(page: Page) {
  await page.getByRole('link', { name: 'Audit log' }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
}

async function openAs(page: Page, username: string, name: string, tab: 'Roles' | 'Sessions') {
  await signIn(page);
  await page.goto(`/users?q=${encodeURIComponent(username)}`);
  await waitForHydration(page);
  await page.locator('#main').getByRole('link', { name, exact: true }).click();
  await page.getByRole('tab', { name: tab }).click();
  await expect(page.getByRole('tab', { name: tab })).toHaveAttribute('aria-selected', 'true');
}

test('revoke all sessions sends every open console of the person to sign in', async ({ page, browser }) => {
  const username = `leif.${Date.now()}`;
  await createPerson(page, username, 'Leif Ambrose', 'Auditor');
  const first = await consoleOf(browser, username, '/account');
  const second = await consoleOf(browser, username, '/account');

  await openAs(page, username, 'Leif Ambrose', 'Sessions');
  const rows = page.getByRole('row').filter({ has: page.getByRole('cell') });
  await expect(rows).toHaveCount(2);
  await page.getByRole('button', { name: 'Revoke all sessions' }).click();
  await expect(page.getByRole('status')).toContainText('Ended 2 sessions of Leif Ambrose');
  await expect(rows).toHaveCount(0);

  await expectSentToSignIn(first.page);
  await expectSentToSignIn(second.page);
  await first.close();
  await second.close();
});

test('a role removed with "also sign them out now" ends the sessions in the same change', async ({ page, browser }) => {
  const username = `mira.${Date.now()}`;
  await createPerson(page, username, 'Mira Solberg', 'Auditor');
  const theirs = await consoleOf(browser, username, '/account');

  await openAs(page, username, 'Mira Solberg', 'Roles');
  const toggle = page.getByRole('checkbox', { name: /Also sign them out now/ });
  await toggle.focus();
  await page.keyboard.press('Space');
  await expect(toggle).toBeChecked();
  await page.getByRole('button', { name: 'Remove role Auditor' }).click();
  await expect(page.getByRole('status')).toContainText(
    /Removed the role Auditor from Mira Solberg and signed them out: 1 sessions? ended\. The change holds right now\./,
  );
  await expectSentToSignIn(theirs.page);
  await theirs.close();

  // One audited change, not a removal followed by a separate sign-out.
  await page.goto('/audit');
  await waitForHydration(page);
  await expect(page.getByText(`removed the role Auditor from ${username} and signed them out`)).toBeVisible();
});
