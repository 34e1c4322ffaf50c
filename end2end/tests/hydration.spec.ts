import { test, expect } from '../fixtures';
import { signIn } from '../pages/SignInPage';
import { rolesPage } from '../pages/sections';
import { isHydrated, waitForHydration } from '../pages/hydration';

test.describe('Hydration', () => {
  test('after hydration, the Roles & scopes link navigates client-side', async ({ page, usersPage }) => {
    const shell = await signIn(page);
    await usersPage.goto();
    await waitForHydration(page);
    expect(await isHydrated(page)).toBe(true);

    // A marker on window survives client-side navigation but not a full page load.
    await page.evaluate(() => {
      (window as unknown as { __tesseraE2eMarker?: string }).__tesseraE2eMarker = 'still-the-same-document';
    });
    const documentLoads: string[] = [];
    page.on('request', (request) => {
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
        documentLoads.push(request.url());
      }
    });

    await shell.mainNavLink('Roles & scopes').click();

    await expect(page).toHaveURL((url) => url.pathname === '/roles');
    await expect(rolesPage(page).title).toBeVisible();
    const marker = await page.evaluate(
      () => (window as unknown as { __tesseraE2eMarker?: string }).__tesseraE2eMarker,
    );
    expect(marker, 'the page was reloaded instead of navigating client-side').toBe('still-the-same-document');
    expect(documentLoads, 'no document request should be made for a client-side navigation').toEqual([]);
  });
});
