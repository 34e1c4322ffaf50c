import { test, expect } from '../fixtures';
import { adminCredentials } from '../pages/SignInPage';
import { groupsPage } from '../pages/sections';

test.describe('Deep links while signed out', () => {
  test('opening /groups while signed out asks to sign in and then returns to Groups', async ({
    page,
    signInPage,
  }) => {
    await page.goto('/groups');

    await expect(page).toHaveURL((url) => url.pathname === '/sign-in' && url.searchParams.get('next') === '/groups');
    await signInPage.expectLoaded();

    await signInPage.signIn(adminCredentials());

    const groups = groupsPage(page);
    await expect(page).toHaveURL((url) => url.pathname === '/groups' && url.search === '');
    await groups.expectLoaded();
    await expect(groups.row('Engineering')).toBeVisible();
  });

  test('opening /users?q=alice while signed out returns to the same search after signing in', async ({
    page,
    signInPage,
    usersPage,
  }) => {
    await page.goto('/users?q=alice');

    await expect(page).toHaveURL(
      (url) => url.pathname === '/sign-in' && url.searchParams.get('next') === '/users?q=alice',
    );
    await signInPage.expectLoaded();

    await signInPage.signIn(adminCredentials());

    await expect(page).toHaveURL((url) => url.pathname === '/users' && url.searchParams.get('q') === 'alice');
    await usersPage.expectLoaded();
    await expect(usersPage.search).toHaveValue('alice');
    await expect(usersPage.row('Alice Nguyen')).toBeVisible();
  });
});
