import { test, expect } from '../fixtures';
import { signIn } from '../pages/SignInPage';
import { waitForHydration } from '../pages/hydration';

// The user list's bulk changes: pick people (a shift-click range), preview, confirm, read the
// result per person, and find the change in the audit log with its people under it.
test.describe('Bulk changes from the user list', () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page);
  });

  test('an admin gives three filtered people a role through the preview, then finds it in the audit log', async ({ page, usersPage }) => {
    await usersPage.goto();
    await page.getByLabel('Group', { exact: true }).selectOption({ label: 'Sales' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect(page).toHaveURL((url) => url.searchParams.has('group'));
    await expect(page.getByText('7 users match')).toBeVisible();
    await waitForHydration(page);

    const rows = usersPage.rows;
    await rows.nth(0).getByRole('checkbox').click();
    await rows.nth(2).getByRole('checkbox').click({ modifiers: ['Shift'] });
    const names = await Promise.all([0, 1, 2].map(async (i) => (await rows.nth(i).getByRole('cell').nth(1).innerText()).trim()));
    for (const i of [0, 1, 2]) {
      await expect(rows.nth(i).getByRole('checkbox')).toBeChecked();
    }
    await expect(rows.nth(3).getByRole('checkbox')).not.toBeChecked();

    const bar = page.getByRole('region', { name: 'Bulk actions' });
    await expect(bar).toContainText('3 selected');
    await bar.getByLabel('Action').selectOption({ label: 'Add a role' });
    await bar.getByLabel('Which role').selectOption({ label: 'Billing Admin' });
    await bar.getByRole('button', { name: 'Preview…' }).click();

    const dialog = page.getByRole('dialog', { name: 'Add the role Billing Admin' });
    await expect(dialog).toContainText('3 selected');
    await expect(dialog).toContainText('3 will gain it');
    await dialog.getByRole('button', { name: 'Add Billing Admin to 3 people' }).click();

    const done = page.getByRole('dialog', { name: 'Done' });
    await expect(done).toContainText('Gave the role Billing Admin to 3 people.');
    const outcomes = done.getByRole('table', { name: 'Result per person' }).getByRole('row').filter({ hasText: 'added' });
    await expect(outcomes).toHaveCount(3);
    for (const name of names) {
      await expect(done).toContainText(name);
    }

    await done.getByRole('link', { name: /in the audit log/ }).click();
    await expect(page).toHaveURL(/\/audit\?event=\d+/);
    await waitForHydration(page);
    const event = page.getByRole('row').filter({ hasText: 'admin added the role Billing Admin to 3 people' });
    await expect(event).toBeVisible();
    await event.getByRole('button', { name: 'Show the 3 people changed' }).click();
    const children = page.locator('.child-events li');
    await expect(children).toHaveCount(3);
    await expect(children.first()).toContainText('the role Billing Admin');
  });

  test('select all matching a filter reaches across pages, resolved by the server', async ({ page, usersPage }) => {
    await usersPage.goto();
    const { total } = await usersPage.readPageStatus();
    await page.getByRole('checkbox', { name: 'Select everyone on this page' }).click();
    await page.getByRole('button', { name: `Select all ${total} users matching this filter` }).click();
    const bar = page.getByRole('region', { name: 'Bulk actions' });
    await expect(bar).toContainText(`All ${total} matching selected`);

    // The selection survives paging: the next page's rows are selected too.
    await usersPage.nextPageLink.click();
    await expect(page).toHaveURL((url) => url.searchParams.get('page') === '2');
    await expect(usersPage.rows.first().getByRole('checkbox')).toBeChecked();
    await expect(bar).toContainText(`All ${total} matching selected`);

    await bar.getByLabel('Action').selectOption({ label: 'Add to a group' });
    await bar.getByLabel('Which group').selectOption({ label: 'Finance' });
    await bar.getByRole('button', { name: 'Preview…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add to the group Finance' });
    await expect(dialog).toContainText(`${total} selected`);
    await expect(dialog).toContainText('are disabled and will be skipped');
    await expect(dialog.getByRole('button', { name: /^Add \d+ people to Finance$/ })).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await bar.getByRole('button', { name: 'Clear selection' }).click();
    await expect(bar).toHaveCount(0);
  });
});
