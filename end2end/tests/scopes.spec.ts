import { test, expect } from '../fixtures';
import { SignInPage } from '../pages/SignInPage';
import { waitForHydration } from '../pages/hydration';

test('an admin creates a custom scope and deletes it again', async ({ page }) => {
  const signIn = new SignInPage(page);
  await signIn.goto();
  await signIn.signIn();
  await page.goto('/scopes');
  await waitForHydration(page);

  await page.getByLabel('New scope').fill('invoices:export');
  await page.getByLabel('Description', { exact: true }).fill('Export invoices as files');
  await page.getByRole('button', { name: 'Create scope' }).click();
  await expect(page.getByRole('status')).toContainText('Created the scope invoices:export');
  const row = page.getByRole('row').filter({ hasText: 'invoices:export' });
  await expect(row).toContainText('Export invoices as files');

  // The description is edited in place.
  await page.getByLabel('Edit description of invoices:export').click();
  await page.getByLabel('Description of invoices:export', { exact: true }).fill('Export invoices as CSV files');
  await row.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Updated the scope invoices:export');
  await expect(row).toContainText('Export invoices as CSV files');

  // A scope that roles grant offers no delete; the new one does.
  await expect(page.getByRole('button', { name: 'Delete scope reports:read' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Delete scope invoices:export' }).click();
  await expect(page.getByRole('status')).toContainText('Deleted the scope invoices:export');
  await expect(page.getByRole('row').filter({ hasText: 'invoices:export' })).toHaveCount(0);
});
