import { expect, type Locator, type Page } from '@playwright/test';

/** Links of the "Main" navigation landmark, in order. */
export const MAIN_NAV_LINKS = ['Users', 'Roles & scopes', 'Audit log'] as const;
export type MainNavLink = (typeof MAIN_NAV_LINKS)[number];

/** Links of the "Roles & scopes" section navigation (on /roles, /scopes, /groups), in order. */
export const SECTION_NAV_LINKS = ['Roles', 'Scopes', 'Groups'] as const;
export type SectionNavLink = (typeof SECTION_NAV_LINKS)[number];

/**
 * The console shell shared by every signed-in page: the banner with the
 * "Tessera" link, the signed-in user's name and "Sign out", and the "Main"
 * navigation landmark.
 */
export class ConsolePage {
  readonly banner: Locator;
  readonly homeLink: Locator;
  readonly signOutButton: Locator;
  readonly mainNav: Locator;
  readonly sectionNav: Locator;
  /** The page's level-1 heading. */
  readonly heading: Locator;

  constructor(readonly page: Page) {
    this.banner = page.getByRole('banner');
    this.homeLink = this.banner.getByRole('link', { name: 'Tessera', exact: true });
    this.signOutButton = this.banner.getByRole('button', { name: 'Sign out', exact: true });
    this.mainNav = page.getByRole('navigation', { name: 'Main', exact: true });
    this.sectionNav = page.getByRole('navigation', { name: 'Roles & scopes', exact: true });
    this.heading = page.getByRole('heading', { level: 1 });
  }

  /** A link in the "Main" navigation landmark. */
  mainNavLink(name: MainNavLink): Locator {
    return this.mainNav.getByRole('link', { name, exact: true });
  }

  /** A link in the "Roles & scopes" section navigation landmark. */
  sectionNavLink(name: SectionNavLink): Locator {
    return this.sectionNav.getByRole('link', { name, exact: true });
  }

  /** Asserts that the console shell of a signed-in session is shown. */
  async expectSignedIn(): Promise<void> {
    await expect(this.banner).toBeVisible();
    await expect(this.signOutButton).toBeVisible();
    await expect(this.mainNav).toBeVisible();
  }

  /** Asserts the page's h1. */
  async expectHeading(name: string): Promise<void> {
    await expect(this.page.getByRole('heading', { level: 1, name, exact: true })).toBeVisible();
  }

  /**
   * Asserts that exactly `current` carries aria-current="page" among the links
   * of the given navigation landmark.
   */
  async expectCurrentLink(nav: Locator, names: readonly string[], current: string): Promise<void> {
    for (const name of names) {
      const link = nav.getByRole('link', { name, exact: true });
      if (name === current) {
        await expect(link, `"${name}" should be marked as the current page`).toHaveAttribute('aria-current', 'page');
      } else {
        await expect(link, `"${name}" should not be marked as the current page`).not.toHaveAttribute(
          'aria-current',
          'page',
        );
      }
    }
  }

  /** Asserts which "Main" navigation link is the current section. */
  async expectCurrentSection(current: MainNavLink): Promise<void> {
    await this.expectCurrentLink(this.mainNav, MAIN_NAV_LINKS, current);
  }

  /** Clicks "Sign out" and waits until the browser is on /sign-in. */
  async signOut(): Promise<void> {
    await this.signOutButton.click();
    await expect(this.page).toHaveURL((url) => url.pathname === '/sign-in');
  }
}
