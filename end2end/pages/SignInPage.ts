import { expect, type Locator, type Page } from '@playwright/test';
import { ConsolePage } from './ConsolePage';
import { waitForHydration } from './hydration';

/** The message shown for any failed sign-in (wrong password and unknown user alike). */
export const BAD_CREDENTIALS_MESSAGE = 'The username or password is incorrect';

export interface Credentials {
  username: string;
  password: string;
}

/** The demo administrator's credentials: username `admin`, password from TESSERA_ADMIN_PASSWORD. */
export function adminCredentials(): Credentials {
  const password = process.env.TESSERA_ADMIN_PASSWORD;
  if (!password) {
    throw new Error('TESSERA_ADMIN_PASSWORD is not set; the end-to-end tests cannot sign in as admin.');
  }
  return { username: process.env.TESSERA_ADMIN_USERNAME || 'admin', password };
}

/** Builds `/sign-in` or `/sign-in?next=<encoded path>`. */
export function signInPath(next?: string): string {
  return next ? `/sign-in?next=${encodeURIComponent(next)}` : '/sign-in';
}

/** Page object for GET /sign-in. */
export class SignInPage {
  readonly heading: Locator;
  readonly username: Locator;
  readonly password: Locator;
  readonly submit: Locator;
  /** Every element with role "alert" on the page. */
  readonly alerts: Locator;
  /** The alert that carries the failed-credentials message. */
  readonly badCredentialsAlert: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'Sign in to Tessera' });
    this.username = page.getByLabel('Username', { exact: true });
    this.password = page.getByLabel('Password', { exact: true });
    this.submit = page.getByRole('button', { name: 'Sign in', exact: true });
    this.alerts = page.getByRole('alert');
    this.badCredentialsAlert = this.alerts.filter({ hasText: BAD_CREDENTIALS_MESSAGE });
  }

  /** Opens /sign-in (optionally with ?next=) and waits until the form is usable. */
  async goto(next?: string): Promise<void> {
    await this.page.goto(signInPath(next));
    await this.expectLoaded();
  }

  /** Asserts that the browser is on the sign-in page and that it has hydrated. */
  async expectLoaded(): Promise<void> {
    await expect(this.page).toHaveURL((url) => url.pathname === '/sign-in');
    await expect(this.heading).toBeVisible();
    await waitForHydration(this.page);
  }

  /** Fills the form and submits it. Does not wait for the outcome. */
  async submitCredentials({ username, password }: Credentials): Promise<void> {
    await this.username.fill(username);
    await this.password.fill(password);
    await this.submit.click();
  }

  /**
   * Submits credentials that must be rejected and waits for the failure state:
   * back on /sign-in, with the alert visible. Returns the alert's full text.
   */
  async signInExpectingFailure(credentials: Credentials): Promise<string> {
    // Start from a page without the alert, so a stale alert cannot satisfy the checks below.
    await expect(this.badCredentialsAlert, 'open a fresh sign-in page before each failing attempt').toHaveCount(0);
    await this.submitCredentials(credentials);
    await expect(this.badCredentialsAlert).toBeVisible();
    await this.expectLoaded();
    await expect(this.badCredentialsAlert).toBeVisible();
    return (await this.badCredentialsAlert.innerText()).trim();
  }

  /**
   * Submits valid credentials from the current sign-in page and waits until the
   * browser has left /sign-in and the console shell is rendered and hydrated.
   */
  async signIn(credentials: Credentials = adminCredentials()): Promise<ConsolePage> {
    await this.submitCredentials(credentials);
    await expect(this.page).toHaveURL((url) => url.pathname !== '/sign-in');
    const shell = new ConsolePage(this.page);
    await shell.expectSignedIn();
    await waitForHydration(this.page);
    return shell;
  }
}

/**
 * Signs in through the real sign-in page as the demo admin.
 * With `next`, it opens /sign-in?next=... and the browser ends on that page;
 * otherwise it ends on the default landing page (/users).
 */
export async function signIn(
  page: Page,
  options: { next?: string; credentials?: Credentials } = {},
): Promise<ConsolePage> {
  const signInPage = new SignInPage(page);
  await signInPage.goto(options.next);
  return signInPage.signIn(options.credentials ?? adminCredentials());
}
