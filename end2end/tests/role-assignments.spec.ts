import { test, expect } from '../fixtures';
import { SignInPage } from '../pages/SignInPage';
import { waitForHydration } from '../pages/hydration';

// From the role's side: add several people at once on the Assignments tab.
test('several people are given a role from its Assignments tab', async ({ page }) => {
  const signIn = new SignInPage(page);
  await signIn.goto();
  await signIn.signIn();
  await page.goto('/roles?q=operator');
  await page.getByRole('link', { name: 'Operator' }).click();
  await waitForHydration(page);
  await expect(page.getByRole('tab', { name: 'Assignments' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByText(/active people hold this role/)).toBeVisible();

  await page.getByLabel('Find people to give this role').fill('lars');
  await page.getByRole('checkbox', { name: /Lars Silva/ }).check();
  await page.getByRole('checkbox', { name: /Lars Khan/ }).check();
  await page.getByLabel('Find people to give this role').fill('olivia');
  await page.getByRole('checkbox', { name: /Olivia Khan/ }).check();
  await page.getByRole('button', { name: 'Add 3 people' }).click();

  await expect(page.getByRole('status')).toContainText('3 people now have the role Operator');
  for (const name of ['Lars Silva', 'Lars Khan', 'Olivia Khan']) {
    await expect(page.getByRole('button', { name: `Remove role Operator from ${name}` })).toBeVisible();
  }
  await page.getByRole('button', { name: 'Remove role Operator from Lars Khan' }).click();
  await expect(page.getByRole('status')).toContainText('Removed the role Operator from Lars Khan');
  await expect(page.getByRole('button', { name: 'Remove role Operator from Lars Khan' })).toHaveCount(0);
});
