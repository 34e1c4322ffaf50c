// Takes the README's screenshots from a running Tessera with the demo data.
// Usage: TESSERA_ADMIN_PASSWORD=... node screenshots.mjs [base-url] [out-dir]
import { chromium } from 'playwright-core';

const base = process.argv[2] || 'http://127.0.0.1:3000';
const out = process.argv[3] || '../docs/screenshots';
const password = process.env.TESSERA_ADMIN_PASSWORD;
if (!password) throw new Error('Set TESSERA_ADMIN_PASSWORD to the admin password.');

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
for (const scheme of ['light', 'dark']) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 }, colorScheme: scheme });
  await page.goto(`${base}/sign-in`);
  if (scheme === 'light') await page.screenshot({ path: `${out}/sign-in.png` });
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/users');
  const shots = scheme === 'light'
    ? [['/users', 'users'], ['/users?q=ng', 'users-search'], ['/roles', 'roles'], ['/groups', 'groups'], ['/audit', 'audit']]
    : [['/users', 'users-dark'], ['/roles', 'roles-dark']];
  for (const [path, name] of shots) {
    await page.goto(`${base}${path}`);
    await page.locator('html[data-hydrated="true"]').waitFor();
    await page.locator('table.data:not([aria-busy])').first().waitFor();
    await page.screenshot({ path: `${out}/${name}.png` });
  }
  if (scheme === 'light') {
    // Detail pages, reached the way a person would: search, then follow the name.
    const detail = [
      ['/users?q=alice.nguyen', 'Alice Nguyen', null, 'user-roles'],
      ['/users?q=alice.nguyen', 'Alice Nguyen', 'Access', 'user-access'],
      ['/roles?q=auditor', 'Auditor', null, 'role-assignments'],
      ['/groups?q=engineering', 'Engineering', null, 'group-members'],
    ];
    for (const [path, link, tab, name] of detail) {
      await page.goto(`${base}${path}`);
      await page.locator('html[data-hydrated="true"]').waitFor();
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { level: 1 }).filter({ hasText: link }).waitFor();
      if (tab) {
        await page.getByRole('tab', { name: tab }).click();
        await page.getByRole('tab', { name: tab, selected: true }).waitFor();
        await page.locator('table.data').first().waitFor();
      }
      await page.screenshot({ path: `${out}/${name}.png` });
    }

    // A bulk change: filter, pick a range, preview, confirm, then find it in the audit log.
    // Run this against a scratch database: it changes the demo data.
    await page.goto(`${base}/users`);
    await page.locator('html[data-hydrated="true"]').waitFor();
    await page.getByLabel('Group', { exact: true }).selectOption({ label: 'Engineering' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('10 users match').waitFor();
    const rows = page.locator('table.data tbody tr');
    await rows.nth(0).getByRole('checkbox').click();
    await rows.nth(3).getByRole('checkbox').click({ modifiers: ['Shift'] });
    const bar = page.getByRole('region', { name: 'Bulk actions' });
    await bar.getByLabel('Which role').selectOption({ label: 'Operator' });
    await page.screenshot({ path: `${out}/users-selected.png` });
    await bar.getByRole('button', { name: 'Preview…' }).click();
    await page.getByRole('button', { name: 'Add Operator to 4 people' }).waitFor();
    await page.screenshot({ path: `${out}/bulk-preview.png` });
    await page.getByRole('button', { name: 'Add Operator to 4 people' }).click();
    await page.getByRole('dialog', { name: 'Done' }).waitFor();
    await page.screenshot({ path: `${out}/bulk-result.png` });
    await page.getByRole('link', { name: /in the audit log/ }).click();
    await page.locator('html[data-hydrated="true"]').waitFor();
    await page.getByRole('button', { name: 'Show the 4 people changed' }).click();
    await page.locator('.child-events li').first().waitFor();
    await page.screenshot({ path: `${out}/audit-bulk.png` });

    // Applications: register a confidential one (its secret shown once), then the list and its page.
    await page.goto(`${base}/applications`);
    await page.locator('html[data-hydrated="true"]').waitFor();
    await page.getByText('New application…').click();
    await page.getByLabel('Name', { exact: true }).fill('Inventory sync');
    await page.getByRole('radio', { name: /Confidential/ }).check();
    await page.getByLabel(/^Redirect URIs/).fill('https://inventory.example.com/callback');
    await page.getByRole('button', { name: 'Create application' }).click();
    await page.getByRole('heading', { name: 'Credentials of Inventory sync' }).waitFor();
    await page.screenshot({ path: `${out}/application-created.png` });
    await page.getByRole('link', { name: 'Open the application' }).click();
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Inventory sync' }).waitFor();
    await page.locator('html[data-hydrated="true"]').waitFor();
    await page.screenshot({ path: `${out}/application.png` });
  }
  await page.close();
}
await browser.close();
