import type { FullConfig } from '@playwright/test';

const POLL_INTERVAL_MS = 500;
const MAX_WAIT_MS = 120_000;
const REQUEST_TIMEOUT_MS = 2_000;

/**
 * Runs once before the suite:
 *  1. fails fast when TESSERA_ADMIN_PASSWORD is missing;
 *  2. polls GET <baseURL>/healthz every 500 ms for up to 120 s until it answers 200.
 */
export default async function globalSetup(config: FullConfig): Promise<void> {
  if (!process.env.TESSERA_ADMIN_PASSWORD) {
    throw new Error(
      'TESSERA_ADMIN_PASSWORD is not set. Export the password of the demo "admin" account ' +
        'before running the end-to-end tests, e.g. `TESSERA_ADMIN_PASSWORD=... npx playwright test`.',
    );
  }

  const baseURL =
    config.projects[0]?.use?.baseURL || process.env.TESSERA_E2E_URL || 'http://127.0.0.1:3000';
  const healthURL = new URL('/healthz', baseURL).toString();

  const deadline = Date.now() + MAX_WAIT_MS;
  let attempts = 0;
  let lastProblem = 'no attempt made';

  while (Date.now() < deadline) {
    attempts += 1;
    try {
      const response = await fetch(healthURL, {
        redirect: 'manual',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      // Drain the body so the connection can be reused or closed cleanly.
      await response.arrayBuffer().catch(() => undefined);
      if (response.status === 200) {
        return;
      }
      lastProblem = `HTTP ${response.status} ${response.statusText}`;
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      lastProblem = cause?.code || cause?.message || (error as Error).message || String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }

  throw new Error(
    `Tessera did not become healthy: GET ${healthURL} did not answer 200 within ` +
      `${MAX_WAIT_MS / 1000} s (${attempts} attempts; last result: ${lastProblem}). ` +
      'Start the server first (e.g. `cargo leptos end-to-end`, or set TESSERA_E2E_URL to a running instance).',
  );
}
