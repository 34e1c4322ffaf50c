import { defineConfig, devices } from '@playwright/test';

/**
 * Playwright configuration for the Tessera end-to-end suite.
 *
 * The Tessera server is NOT started from here: `cargo leptos end-to-end`
 * (or a CI script) starts it, and `global-setup.ts` waits for `/healthz`.
 *
 * Environment:
 *   TESSERA_E2E_URL         base URL of the running server (default http://127.0.0.1:3000)
 *   TESSERA_ADMIN_PASSWORD  password of the demo `admin` account (required)
 */
const baseURL = process.env.TESSERA_E2E_URL || 'http://127.0.0.1:3000';

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  // Plain line output both locally and in CI (no HTML report server to leave running).
  reporter: 'list',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        viewport: { width: 1280, height: 800 },
        launchOptions: {
          executablePath: '/usr/bin/chromium',
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
});
