import { expect, type Locator, type Page } from '@playwright/test';
import { ListPage } from './ListPage';

/** Users per page on /users. */
export const USERS_PAGE_SIZE = 25;

/** Matches the pagination status, e.g. "1–25 of 41" (en dash; a hyphen is tolerated). */
export const PAGE_STATUS_PATTERN = /(\d+)\s*[–-]\s*(\d+)\s+of\s+(\d+)/;

export interface PageStatus {
  first: number;
  last: number;
  total: number;
}

/** Page object for /users. */
export class UsersPage extends ListPage {
  readonly pagination: Locator;
  readonly nextPageLink: Locator;
  readonly previousPageLink: Locator;
  readonly pageStatus: Locator;
  readonly emptyState: Locator;

  constructor(page: Page) {
    super(page, {
      path: '/users',
      heading: 'Users',
      searchLabel: 'Search users',
      columns: ['Name', 'Username', 'Email', 'Status', 'Created'],
    });
    this.pagination = page.getByRole('navigation', { name: 'Pagination', exact: true });
    this.nextPageLink = this.pagination.getByRole('link', { name: 'Next page', exact: true });
    this.previousPageLink = this.pagination.getByRole('link', { name: 'Previous page', exact: true });
    // `.filter({ visible: true }).first()`: tolerate a hidden duplicate (e.g. a screen-reader live region).
    this.pageStatus = page.getByText(PAGE_STATUS_PATTERN).filter({ visible: true }).first();
    this.emptyState = page.getByText(/No users match/).filter({ visible: true }).first();
  }

  /** Asserts that the page status reads exactly "<first>–<last> of <total>" (ignoring surrounding words). */
  async expectPageStatus({ first, last, total }: PageStatus): Promise<void> {
    await expect(this.pageStatus).toHaveText(new RegExp(`(^|\\D)${first}\\s*[–-]\\s*${last}\\s+of\\s+${total}(\\D|$)`));
  }

  /** Reads and parses the pagination status text. */
  async readPageStatus(): Promise<PageStatus> {
    await expect(this.pageStatus).toBeVisible();
    const text = await this.pageStatus.innerText();
    const match = PAGE_STATUS_PATTERN.exec(text);
    if (!match) {
      throw new Error(`Could not parse the pagination status "${text}"`);
    }
    return { first: Number(match[1]), last: Number(match[2]), total: Number(match[3]) };
  }

  /** The normalised text of every data row, in order (used to compare pages). */
  async rowTexts(): Promise<string[]> {
    return (await this.rows.allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
  }
}
