import { test, expect } from '../fixtures';
import { SignInPage } from '../pages/SignInPage';
import { waitForHydration } from '../pages/hydration';

// From the group's side: give a group a role and see it on a member's Roles tab, labelled with
// the group; add several people at once from the Members tab.
test.describe('A group’s roles and members', () => {
  test('a role given to a group appears on a member’s Roles tab, labelled with the group', async ({ page }) => {
    const signIn = new SignInPage(page);
    await signIn.goto();
    await signIn.signIn();
    await page.goto('/groups?q=sales');
    await page.getByRole('link', { name: 'Sales' }).click();
    await waitForHydration(page);
    await page.getByRole('tab', { name: 'Roles' }).click();
    await expect(page).toHaveURL(/\/roles$/);

    await page.getByLabel('Add a role').selectOption({ label: 'Support Agent' });
    await page.getByRole('button', { name: 'Add role' }).click();
    await expect(page.getByRole('status')).toContainText('Everyone in Sales now has the role Support Agent');

    await page.getByRole('tab', { name: 'Members' }).click();
    await page.getByRole('link', { name: 'Bruno Tanaka' }).click();
    await expect(page.getByRole('heading', { level: 1, name: /Bruno Tanaka/ })).toBeVisible();
    const chip = page.getByRole('listitem').filter({ hasText: 'Support Agent' });
    await expect(chip.getByRole('link', { name: 'via Sales' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Remove role Support Agent' })).toHaveCount(0);

    // Clean up from the group's side, with the × on the group's chip.
    await page.goto('/groups?q=sales');
    await page.getByRole('link', { name: 'Sales' }).click();
    await waitForHydration(page);
    await page.getByRole('tab', { name: 'Roles' }).click();
    await page.getByRole('button', { name: 'Remove role Support Agent' }).click();
    await expect(page.getByRole('status')).toContainText('Removed the role Support Agent from the group Sales');
  });

  test('several people are added to a group at once', async ({ page }) => {
    const signIn = new SignInPage(page);
    await signIn.goto();
    await signIn.signIn();
    await page.goto('/groups?q=finance');
    await page.getByRole('link', { name: 'Finance' }).click();
    await waitForHydration(page);
    await page.getByLabel('Find people to add').fill('keiko');
    await page.getByRole('checkbox', { name: /Keiko Adeyemi/ }).check();
    await page.getByRole('checkbox', { name: /Keiko Rossi/ }).check();
    await page.getByRole('button', { name: 'Add 2 people' }).click();
    await expect(page.getByRole('status')).toContainText('Added 2 people to Finance');
    await expect(page.getByRole('button', { name: 'Remove Keiko Adeyemi from Finance' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Remove Keiko Rossi from Finance' })).toBeVisible();
  });
});
