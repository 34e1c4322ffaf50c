import { test, expect } from '../fixtures';
import { SignInPage } from '../pages/SignInPage';
import { waitForHydration } from '../pages/hydration';

// A leaver, offboarded in one step after seeing what goes: roles, groups, sessions, and the
// account disabled; the audit log has one event that opens to each removal.
test('an admin offboards a leaver through the preview', async ({ page }) => {
  const signIn = new SignInPage(page);
  await signIn.goto();
  await signIn.signIn();
  await page.goto('/users?q=quinn');
  await page.getByRole('link', { name: 'Quinn Novak' }).click();
  await waitForHydration(page);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Active');

  await page.getByRole('button', { name: 'Offboard…' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Confirm offboarding' });
  await expect(dialog).toContainText('Offboarding Quinn Novak removes');
  await expect(dialog).toContainText(/Group memberships \([1-9]\)/);
  await expect(dialog.getByRole('checkbox', { name: /Also disable the account/ })).toBeChecked();
  await dialog.getByRole('button', { name: 'Offboard Quinn Novak' }).click();

  await expect(page.getByRole('status')).toContainText('Offboarded Quinn Novak');
  await expect(page.getByRole('status')).toContainText('disabled the account');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Disabled');
  await page.getByRole('tab', { name: 'Groups' }).click();
  await expect(page.getByRole('button', { name: /^Remove Quinn Novak from/ })).toHaveCount(0);

  await page.goto('/audit?q=offboarded');
  await waitForHydration(page);
  const event = page.getByRole('row').filter({ hasText: 'offboarded quinn.novak' });
  await expect(event).toHaveCount(1);
  await event.getByRole('button', { name: /^Show the/ }).click();
  await expect(page.locator('.child-events li').filter({ hasText: 'disabled quinn.novak' })).toHaveCount(1);
});
