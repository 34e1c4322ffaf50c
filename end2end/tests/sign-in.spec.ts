import { test, expect } from '../fixtures';
import { adminCredentials, BAD_CREDENTIALS_MESSAGE } from '../pages/SignInPage';

/**
 * Failed sign-ins use the demo user "alice.nguyen" rather than "admin", so
 * that repeated runs against one server can never lock the admin out.
 */
const WRONG_PASSWORD = { username: 'alice.nguyen', password: 'definitely-not-the-password-3f9a' };
const UNKNOWN_USER = { username: 'no.such.user.e2e', password: 'definitely-not-the-password-3f9a' };

/** A rejected sign-in may legitimately answer 400/401/403/422, which Chromium logs as a console error. */
const REJECTED_SIGN_IN_RESPONSE = /Failed to load resource: the server responded with a status of (400|401|403|422)\b/;

test.describe('Signing in', () => {
  test('an admin signs in through the real sign-in page and sees the user list', async ({
    page,
    signInPage,
    usersPage,
  }) => {
    await signInPage.goto();
    await expect(signInPage.username).toBeVisible();
    await expect(signInPage.password).toBeVisible();
    await expect(signInPage.alerts.filter({ hasText: BAD_CREDENTIALS_MESSAGE })).toHaveCount(0);

    await signInPage.signIn(adminCredentials());

    await expect(page).toHaveURL((url) => url.pathname === '/users');
    await usersPage.expectLoaded();
    await expect(usersPage.rows.first()).toBeVisible();
    await expect(usersPage.row('Alice Nguyen')).toBeVisible();
  });

  test('a wrong password shows an alert and leaves the visitor signed out', async ({
    page,
    signInPage,
    browserErrors,
  }) => {
    browserErrors.allow(REJECTED_SIGN_IN_RESPONSE);
    await signInPage.goto();

    const alertText = await signInPage.signInExpectingFailure(WRONG_PASSWORD);

    expect(alertText).toContain(BAD_CREDENTIALS_MESSAGE);
    await expect(page).toHaveURL((url) => url.pathname === '/sign-in');
    await expect(page.getByRole('button', { name: 'Sign out' })).toHaveCount(0);

    await page.goto('/users');
    await expect(page).toHaveURL((url) => url.pathname === '/sign-in' && url.searchParams.get('next') === '/users');
    await expect(signInPage.heading).toBeVisible();
  });

  test('an unknown username shows exactly the same alert as a wrong password', async ({
    page,
    signInPage,
    browserErrors,
  }) => {
    browserErrors.allow(REJECTED_SIGN_IN_RESPONSE);

    await signInPage.goto();
    const wrongPasswordAlert = await signInPage.signInExpectingFailure(WRONG_PASSWORD);

    await signInPage.goto();
    const unknownUserAlert = await signInPage.signInExpectingFailure(UNKNOWN_USER);

    expect(unknownUserAlert).toContain(BAD_CREDENTIALS_MESSAGE);
    expect(unknownUserAlert, 'the alert must not reveal whether the username exists').toBe(wrongPasswordAlert);
    await expect(page).toHaveURL((url) => url.pathname === '/sign-in');
  });

  test('signing out ends the session', async ({ page, signInPage }) => {
    await signInPage.goto();
    const shell = await signInPage.signIn(adminCredentials());

    await shell.signOut();

    await expect(signInPage.heading).toBeVisible();
    await expect(page.getByRole('button', { name: 'Sign out' })).toHaveCount(0);

    await page.goto('/users');
    await expect(page).toHaveURL((url) => url.pathname === '/sign-in' && url.searchParams.get('next') === '/users');
    await expect(signInPage.heading).toBeVisible();
  });
});
