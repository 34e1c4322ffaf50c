import { test, expect } from '../fixtures';
import { SignInPage } from '../pages/SignInPage';
import { waitForHydration } from '../pages/hydration';

test('an admin creates a role, gives it a scope, and deletes it after seeing what it takes away', async ({ page }) => {
  const signIn = new SignInPage(page);
  await signIn.goto();
  await signIn.signIn();
  await page.goto('/roles');
  await waitForHydration(page);

  await page.getByLabel('New role').fill('Release Manager');
  await page.getByLabel('Description', { exact: true }).fill('Ships releases');
  await page.getByRole('button', { name: 'Create role' }).click();
  await expect(page.getByRole('status')).toContainText('Created the role Release Manager');

  await page.getByRole('link', { name: 'Release Manager' }).click();
  await expect(page.getByRole('heading', { level: 1, name: /Release Manager/ })).toBeVisible();
  await page.getByRole('tab', { name: 'Scopes' }).click();
  await page.getByLabel('Add a scope').selectOption({ label: 'deployments:write' });
  await page.getByRole('button', { name: 'Add scope' }).click();
  await expect(page.getByRole('status')).toContainText('The role Release Manager now grants deployments:write');
  await expect(page.getByRole('button', { name: 'Remove scope deployments:write' })).toBeVisible();

  await page.getByRole('button', { name: 'Delete role…' }).click();
  await expect(page.getByRole('alertdialog')).toContainText('takes it from 0 active people');
  await page.getByRole('button', { name: 'Delete role Release Manager' }).click();
  await expect(page).toHaveURL(/\/roles$/);
  await expect(page.getByRole('link', { name: 'Release Manager' })).toHaveCount(0);
});

test('the built-in Administrator role offers no way to lose its scopes', async ({ page }) => {
  const signIn = new SignInPage(page);
  await signIn.goto();
  await signIn.signIn();
  await page.goto('/roles');
  await page.locator('#main').getByRole('link', { name: 'Administrator', exact: true }).click();
  await waitForHydration(page);
  await expect(page.getByRole('button', { name: 'Delete role…' })).toHaveCount(0);
  await page.getByRole('tab', { name: 'Scopes' }).click();
  await expect(page.getByText('Built-in roles keep their scopes')).toBeVisible();
  await expect(page.getByRole('button', { name: /Remove scope/ })).toHaveCount(0);
});

test('an admin renames a role and describes it; a taken name is refused and nothing is lost', async ({ page, browserErrors }) => {
  // The refusal is a 409, which the browser logs as a failed resource.
  browserErrors.allow(/status of 409 \(Conflict\).*\/api\/roles\/update/);
  const signIn = new SignInPage(page);
  await signIn.goto();
  await signIn.signIn();
  await page.goto('/roles');
  await waitForHydration(page);
  await page.getByLabel('New role').fill('Incident Commander');
  await page.getByRole('button', { name: 'Create role' }).click();
  await expect(page.getByRole('status')).toContainText('Created the role Incident Commander');
  await page.getByRole('link', { name: 'Incident Commander' }).click();
  await waitForHydration(page);

  await page.getByText('Edit role…').click();
  await page.getByLabel('Name', { exact: true }).fill('Operator');
  await page.getByRole('button', { name: 'Save role' }).click();
  await expect(page.getByRole('status')).toContainText('A role with this name already exists.');
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Operator');

  await page.getByLabel('Name', { exact: true }).fill('Incident Lead');
  await page.getByLabel('Description', { exact: true }).fill('Leads the response to an incident');
  await page.getByRole('button', { name: 'Save role' }).click();
  await expect(page.getByRole('status')).toContainText('Saved the role Incident Lead.');
  await expect(page.getByRole('heading', { level: 1, name: /Incident Lead/ })).toBeVisible();
  await expect(page.getByText('Leads the response to an incident')).toBeVisible();
});
