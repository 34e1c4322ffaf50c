import type { Page } from '@playwright/test';

/** How long to wait for the wasm bundle to load and hydrate the server-rendered page. */
export const HYDRATION_TIMEOUT_MS = 15_000;

/**
 * Waits until the Leptos app has hydrated the current document.
 *
 * The app (src/app.rs) sets `document.documentElement.dataset.hydrated = "true"`
 * once the wasm has hydrated. A full page load starts a fresh document, so call
 * this after every navigation that loads a new document (goto, form POST,
 * redirect) before interacting with inputs that hydration might re-render.
 */
export async function waitForHydration(page: Page, timeout = HYDRATION_TIMEOUT_MS): Promise<void> {
  try {
    await page.waitForFunction(() => document.documentElement.dataset.hydrated === 'true', undefined, {
      timeout,
    });
  } catch (error) {
    throw new Error(
      `The page at ${page.url()} did not hydrate within ${timeout} ms: ` +
        '<html data-hydrated="true"> was never set. Is the wasm bundle served, and did hydration panic? ' +
        `(${(error as Error).message.split('\n')[0]})`,
    );
  }
}

/** True when the current document reports that it has hydrated. */
export async function isHydrated(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.dataset.hydrated === 'true');
}
