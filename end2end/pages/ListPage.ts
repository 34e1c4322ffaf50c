import { expect, type Locator, type Page } from '@playwright/test';
import { ConsolePage } from './ConsolePage';
import { waitForHydration } from './hydration';

export interface ListPageSpec {
  /** Path of the page, e.g. "/roles". */
  path: string;
  /** Text of the page's h1. */
  heading: string;
  /** Accessible name of the page's searchbox, if it has one. */
  searchLabel?: string;
  /** Column header texts, in order. */
  columns: readonly string[];
}

/** A signed-in console page made of a heading, an optional searchbox and one table. */
export class ListPage extends ConsolePage {
  readonly title: Locator;
  readonly search: Locator;
  readonly table: Locator;
  readonly columnHeaders: Locator;
  /**
   * The table's data rows: rows with at least one ordinary cell (not the header
   * row) and some text (not the empty placeholder rows of a loading skeleton).
   */
  readonly rows: Locator;

  constructor(page: Page, readonly spec: ListPageSpec) {
    super(page);
    this.title = page.getByRole('heading', { level: 1, name: spec.heading, exact: true });
    this.search = page.getByRole('searchbox', {
      name: spec.searchLabel ?? `Search ${spec.heading.toLowerCase()}`,
      exact: true,
    });
    this.table = page.getByRole('table');
    this.columnHeaders = this.table.getByRole('columnheader');
    this.rows = this.table
      .getByRole('row')
      .filter({ has: page.getByRole('cell') })
      .filter({ hasText: /\S/ });
  }

  /** Opens the page (with an optional query string, e.g. "q=alice") and waits until it has hydrated. */
  async goto(query?: string): Promise<void> {
    await this.page.goto(query ? `${this.spec.path}?${query}` : this.spec.path);
    await this.expectLoaded();
  }

  /** Asserts that the browser is on this page, that its heading shows and that it has hydrated. */
  async expectLoaded(): Promise<void> {
    await expect(this.page).toHaveURL((url) => url.pathname === this.spec.path);
    await expect(this.title).toBeVisible();
    await waitForHydration(this.page);
  }

  /**
   * Asserts the table's column headers, in order. Extra headers (say, an
   * unlabelled actions column) are tolerated; the named ones must all be there.
   */
  async expectColumns(): Promise<void> {
    await expect(this.columnHeaders).toContainText([...this.spec.columns]);
  }

  /** The data row(s) whose text contains `text`. */
  row(text: string | RegExp): Locator {
    return this.rows.filter({ hasText: text });
  }

  /** Types into the searchbox and presses Enter. */
  async searchFor(text: string): Promise<void> {
    await this.search.fill(text);
    await this.search.press('Enter');
  }
}
