import { expect } from '@playwright/test';
import type { Browser, Page } from '@playwright/test';
import { signIn } from './SignInPage';
import { waitForHydration } from './hydration';

/** The password every person made by these helpers gets. */
export const PERSON_PASSWORD = 'a long e2e passphrase';

/**
 * Creates a person through "New user…" as the administrator, optionally gives them a role
 * from their Roles tab, and signs the administrator out again. Returns the person's page path.
 */
export async function createPerson(page: Page, username: string, displayName: string, role?: string) {
  await signIn(page);
  await page.goto('/users');
  await waitForHydration(page);
  await page.getByText('New user…').click();
  await page.getByLabel(/^Username/).fill(username);
  await page.getByLabel(/^Display name/).fill(displayName);
  await page.getByLabel(/^First password/).fill(PERSON_PASSWORD);
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page).toHaveURL(/\/users\/[0-9a-f-]+\/roles$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(displayName);
  const path = new URL(page.url()).pathname.replace(/\/roles$/, '');
  if (role) {
    await waitForHydration(page);
    await page.getByLabel('Add a direct role').selectOption({ label: role });
    await page.getByRole('button', { name: 'Add role' }).click();
    await expect(page.getByRole('status')).toContainText(role);
  }
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  return path;
}

/** The person's own console, in a browser of its own, open on `path`. */
export async function consoleOf(browser: Browser, username: string, path: string) {
  const context = await browser.newContext({ baseURL: process.env.TESSERA_E2E_URL || 'http://127.0.0.1:3000' });
  const page = await context.newPage();
  await signIn(page, { credentials: { username, password: PERSON_PASSWORD }, next: path });
  await page.goto(path);
  await waitForHydration(page);
  return { page, close: () => context.close() };
}
