import { test as base, expect, type ConsoleMessage, type Page } from '@playwright/test';
import { SignInPage } from './pages/SignInPage';
import { UsersPage } from './pages/UsersPage';
import { ConsolePage } from './pages/ConsolePage';

/**
 * Collects browser-side problems during a test: console messages of type
 * "error" and uncaught exceptions ("pageerror", e.g. a wasm panic or a
 * hydration error). After the test, any problem not explicitly allowed fails it.
 */
export interface BrowserErrors {
  /** Tolerates problems whose text matches `pattern` for the rest of this test. */
  allow(pattern: RegExp): void;
  /** Problems seen so far (allowed or not). */
  readonly all: readonly string[];
  /** Problems seen so far that are not allowed. */
  readonly unexpected: readonly string[];
}

/**
 * Tolerated in every test. Chromium logs a console error when the automatic
 * /favicon.ico request fails; a missing icon is not an application error.
 */
const ALWAYS_ALLOWED: RegExp[] = [
  /^console\.error: Failed to load resource: the server responded with a status of 404 .*\(at [^)]*\/favicon\.ico[:)]/,
];

interface Fixtures {
  browserErrors: BrowserErrors;
  signInPage: SignInPage;
  usersPage: UsersPage;
  shell: ConsolePage;
}

function describeConsoleMessage(message: ConsoleMessage): string {
  const { url, lineNumber, columnNumber } = message.location();
  const where = url ? ` (at ${url}:${lineNumber}:${columnNumber})` : '';
  return `console.error: ${message.text()}${where}`;
}

export const test = base.extend<Fixtures>({
  browserErrors: [
    async ({ page }, use, testInfo) => {
      const problems: string[] = [];
      const allowed: RegExp[] = [...ALWAYS_ALLOWED];
      const notAllowed = () => problems.filter((problem) => !allowed.some((pattern) => pattern.test(problem)));

      const watch = (target: Page) => {
        target.on('console', (message) => {
          if (message.type() === 'error') {
            problems.push(describeConsoleMessage(message));
          }
        });
        target.on('pageerror', (error) => {
          problems.push(`pageerror: ${error.name}: ${error.message}${error.stack ? `\n${error.stack}` : ''}`);
        });
      };
      watch(page);
      page.context().on('page', watch);

      await use({
        allow: (pattern) => {
          allowed.push(pattern);
        },
        get all() {
          return [...problems];
        },
        get unexpected() {
          return notAllowed();
        },
      });

      if (problems.length > 0) {
        await testInfo.attach('browser-errors.txt', { body: problems.join('\n\n'), contentType: 'text/plain' });
      }
      const unexpected = notAllowed();
      expect(
        unexpected,
        `The browser reported ${unexpected.length} error(s) during the test (a hydration mismatch or a wasm panic shows up here):\n` +
          unexpected.join('\n'),
      ).toEqual([]);
    },
    { auto: true },
  ],

  signInPage: async ({ page }, use) => {
    await use(new SignInPage(page));
  },

  usersPage: async ({ page }, use) => {
    await use(new UsersPage(page));
  },

  shell: async ({ page }, use) => {
    await use(new ConsolePage(page));
  },
});

export { expect };
