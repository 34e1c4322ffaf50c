import { test, expect } from '../fixtures';
import { signIn } from '../pages/SignInPage';
import { USERS_PAGE_SIZE } from '../pages/UsersPage';

test.describe('User list', () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page);
  });

  test('the user list shows its columns and the demo users', async ({ usersPage }) => {
    await usersPage.expectLoaded();
    await expect(usersPage.search).toBeVisible();
    await usersPage.expectColumns();
    await expect(usersPage.row('Alice Nguyen')).toBeVisible();
  });

  test('searching narrows the list and puts the query in the URL', async ({ page, usersPage }) => {
    await usersPage.expectLoaded();
    await usersPage.searchFor('alice');

    await expect(page).toHaveURL((url) => url.pathname === '/users' && url.searchParams.get('q') === 'alice');
    await expect(usersPage.row('Alice Nguyen')).toBeVisible();
    // Every remaining row matches the query (in its name, username or email).
    await expect(usersPage.rows.filter({ hasNotText: /alice/i })).toHaveCount(0);
    await expect(usersPage.search).toHaveValue('alice');
  });

  test('a search without matches shows the empty state', async ({ page, usersPage }) => {
    await usersPage.expectLoaded();
    await usersPage.searchFor('zzzz-no-such-user');

    await expect(page).toHaveURL(
      (url) => url.pathname === '/users' && url.searchParams.get('q') === 'zzzz-no-such-user',
    );
    await expect(usersPage.emptyState).toBeVisible();
    await expect(usersPage.row('Alice Nguyen')).toHaveCount(0);
    await expect(usersPage.rows.filter({ hasText: '@' })).toHaveCount(0);
  });

  test('paging goes to the next page of users and back', async ({ page, usersPage }) => {
    await usersPage.expectLoaded();

    // Page 1: a full page, no "Previous page" link.
    await expect(usersPage.pagination).toBeVisible();
    const { total } = await usersPage.readPageStatus();
    expect(total, 'the demo data should hold more users than fit on one page').toBeGreaterThan(USERS_PAGE_SIZE);
    await usersPage.expectPageStatus({ first: 1, last: USERS_PAGE_SIZE, total });
    await expect(usersPage.rows).toHaveCount(USERS_PAGE_SIZE);
    await expect(usersPage.previousPageLink).toHaveCount(0);
    const firstPageRows = await usersPage.rowTexts();

    // Page 2: the remaining users.
    await usersPage.nextPageLink.click();
    await expect(page).toHaveURL(
      (url) => url.pathname === '/users' && (url.searchParams.get('page') === '2' || url.searchParams.has('cursor')),
    );
    const secondPageSize = Math.min(USERS_PAGE_SIZE, total - USERS_PAGE_SIZE);
    await usersPage.expectPageStatus({ first: USERS_PAGE_SIZE + 1, last: USERS_PAGE_SIZE + secondPageSize, total });
    await expect(usersPage.rows).toHaveCount(secondPageSize);
    await expect(usersPage.previousPageLink).toBeVisible();
    if (total <= 2 * USERS_PAGE_SIZE) {
      await expect(usersPage.nextPageLink, 'the last page has no "Next page" link').toHaveCount(0);
    }
    const secondPageRows = await usersPage.rowTexts();
    const repeated = secondPageRows.filter((row) => firstPageRows.includes(row));
    expect(repeated, 'no user should appear on both pages').toEqual([]);

    // And back to page 1.
    await usersPage.previousPageLink.click();
    await expect(page).toHaveURL(
      (url) => url.pathname === '/users' && (url.searchParams.get('page') ?? '1') === '1',
    );
    await usersPage.expectPageStatus({ first: 1, last: USERS_PAGE_SIZE, total });
    await expect(usersPage.rows).toHaveCount(USERS_PAGE_SIZE);
    await expect.poll(() => usersPage.rowTexts()).toEqual(firstPageRows);
  });
});
