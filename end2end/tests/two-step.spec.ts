import { test, expect } from '../fixtures';
import type { Page } from '@playwright/test';
import { waitForHydration } from '../pages/hydration';
import { totp } from '../pages/totp';
import { createPerson, PERSON_PASSWORD } from '../pages/people';

// A person turns on two-step verification from their account page and signs in with it: first
// an authenticator code, then a recovery code. The person is created through the console.

const PASSWORD = PERSON_PASSWORD;

async function passwordStep(page: Page, username: string) {
  await page.goto('/sign-in?next=%2Faccount');
  await waitForHydration(page);
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

test('two-step verification is set up from the account page and asked for at sign-in', async ({ page, browserErrors }) => {
  test.setTimeout(60_000);
  // The wrong code below is refused with a 422, which the browser logs as a failed request.
  browserErrors.allow(/status of 422 \(Unprocessable Entity\).*\/api\/account\/second-factor\/confirm/);
  const username = `tove.${Date.now()}`;
  await createPerson(page, username, 'Tove Lindahl');

  // The new person signs in with the password alone and opens their account.
  await passwordStep(page, username);
  await expect(page).toHaveURL(/\/account$/);
  await waitForHydration(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
  const section = page.getByRole('region', { name: 'Two-step verification' });
  await expect(section).toContainText('Off');
  await section.getByRole('button', { name: 'Set up two-step verification' }).click();
  await expect(section.getByRole('img', { name: /QR code/ })).toBeVisible();
  const key = await section.getByLabel('Authenticator key').inputValue();
  expect(key.replace(/ /g, '')).toMatch(/^[A-Z2-7]{32}$/);

  // A wrong code is refused in words; the right one turns it on and shows recovery codes once.
  const code = section.getByLabel('Enter the 6-digit code the app shows');
  await code.fill('000000');
  await section.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByRole('status')).toContainText('That code is not right');
  await code.fill(totp(key));
  await section.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByRole('status')).toContainText('Two-step verification is on');
  const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
  await expect(codes).toHaveCount(10);
  const recovery = (await codes.first().innerText()).trim();
  expect(recovery).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
  await page.getByRole('button', { name: 'I have saved them' }).click();
  await expect(codes).toHaveCount(0);
  await expect(section).toContainText('10 unused recovery codes left');

  // Sign-in now stops after the password and asks for a code.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await passwordStep(page, username);
  await expect(page).toHaveURL(/\/sign-in\/verify/);
  await waitForHydration(page);
  await page.getByLabel('Code').fill('123456');
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('alert')).toContainText('That code is not right');
  // The code of the next step: the one used to turn it on cannot be used again.
  await page.getByLabel('Code').fill(totp(key, 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole('region', { name: 'Two-step verification' })).toContainText('On');

  // A recovery code stands in for a lost phone, once.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await passwordStep(page, username);
  await expect(page).toHaveURL(/\/sign-in\/verify/);
  await page.getByLabel('Code').fill(recovery);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole('region', { name: 'Two-step verification' })).toContainText('9 unused recovery codes left');
});
