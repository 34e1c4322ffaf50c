import { test, expect } from '../fixtures';
import { SignInPage } from '../pages/SignInPage';
import { waitForHydration } from '../pages/hydration';

// From the user's side: add a direct role with an end time, see its time left, remove it with
// the × on its chip; roles that come through a group name the group instead of offering ×.
test.describe('A user’s roles', () => {
  test('an admin adds an expiring role and removes it again by its chip', async ({ page }) => {
    const signIn = new SignInPage(page);
    await signIn.goto();
    await signIn.signIn();
    await page.goto('/users?q=grace.lindqvist');
    await page.getByRole('link', { name: 'Grace Lindqvist' }).click();
    await expect(page.getByRole('heading', { level: 1, name: /Grace Lindqvist/ })).toBeVisible();
    await waitForHydration(page);
    await expect(page.getByRole('tab', { name: 'Roles' })).toHaveAttribute('aria-selected', 'true');

    // Grace is in Support: that role is labelled with the group and cannot be removed here.
    const viaSupport = page.getByRole('link', { name: 'via Support' });
    await expect(viaSupport).toBeVisible();
    await expect(page.getByRole('button', { name: 'Remove role Support Agent' })).toHaveCount(0);

    await page.getByLabel('Add a direct role').selectOption({ label: 'Operator' });
    const inAWeek = new Date(Date.now() + 7 * 86_400_000 + 3_600_000).toISOString().slice(0, 16);
    await page.getByLabel('Ends (UTC, optional)').fill(inAWeek);
    await page.getByRole('button', { name: 'Add role' }).click();

    await expect(page.getByRole('status')).toContainText('Grace Lindqvist now has the role Operator');
    await expect(page.getByRole('status')).toContainText('next sign-in or token refresh');
    const chip = page.getByRole('listitem').filter({ hasText: 'Operator' });
    await expect(chip).toContainText('7 days left');

    // The end can be moved and removed from the chip; each is a change like any other.
    await page.getByLabel('Change the end of role Operator').click();
    const inAMonth = new Date(Date.now() + 30 * 86_400_000 + 3_600_000).toISOString().slice(0, 16);
    await chip.getByLabel('Ends (UTC)', { exact: true }).fill(inAMonth);
    await chip.getByRole('button', { name: 'Save end' }).click();
    await expect(page.getByRole('status')).toContainText('Grace Lindqvist now has the role Operator until');
    await expect(chip).toContainText('30 days left');
    await page.getByLabel('Change the end of role Operator').click();
    await chip.getByRole('button', { name: 'Remove end' }).click();
    await expect(page.getByRole('status')).toContainText('Grace Lindqvist now has the role Operator.');
    await expect(chip).not.toContainText('left');

    await page.getByRole('button', { name: 'Remove role Operator' }).click();
    await expect(page.getByRole('status')).toContainText('Removed the role Operator from Grace Lindqvist');
    await expect(page.getByRole('button', { name: 'Remove role Operator' })).toHaveCount(0);

    // Taking access away offers to sign the person out now; Grace has no session to end.
    await page.getByRole('button', { name: 'Sign Grace Lindqvist out now' }).click();
    await expect(page.getByRole('status')).toContainText('Grace Lindqvist has no live session; nothing changed.');
  });

  test('the access tab says why a person holds each scope', async ({ page }) => {
    const signIn = new SignInPage(page);
    await signIn.goto();
    await signIn.signIn();
    await page.goto('/users?q=alice.nguyen');
    await page.getByRole('link', { name: 'Alice Nguyen' }).click();
    await waitForHydration(page);
    await page.getByRole('tab', { name: 'Access' }).click();
    await expect(page).toHaveURL(/\/access$/);
    const row = page.getByRole('row').filter({ hasText: 'reports:read' });
    await expect(row).toContainText('group Engineering → role Viewer');
    await expect(row).toContainText('group Security → role Auditor');
  });
});
