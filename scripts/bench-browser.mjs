// The browser side of scripts/bench, printing markdown.
//   node scripts/bench-browser.mjs sizes DIR            what the release build ships, raw and compressed
//   node scripts/bench-browser.mjs hydration URL USER PASSWORD
//                                                       navigation to a hydrated page, headless Chromium
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { createRequire } from 'node:module';

const [mode, ...args] = process.argv.slice(2);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

if (mode === 'sizes') {
  const dir = args[0];
  console.log('## What the browser downloads (release build)\n');
  console.log('| file | raw | gzip -9 | brotli q11 |');
  console.log('|---|---:|---:|---:|');
  const totals = [0, 0, 0];
  for (const name of readdirSync(dir).filter((n) => /\.(wasm|js|css)$/.test(n)).sort()) {
    const bytes = readFileSync(join(dir, name));
    const sizes = [
      bytes.length,
      gzipSync(bytes, { level: 9 }).length,
      brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    ];
    sizes.forEach((s, i) => (totals[i] += s));
    console.log(`| ${name} | ${sizes.map(kb).join(' | ')} |`);
  }
  console.log(`| **all** | ${totals.map(kb).join(' | ')} |\n`);
} else if (mode === 'hydration') {
  const [base, username, password] = args;
  const require = createRequire(new URL('../end2end/package.json', import.meta.url));
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking'],
  });
  const page = await browser.newPage();
  await page.goto(`${base}/sign-in`);
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
  console.log('## From navigation to a hydrated page (headless Chromium, loopback)\n');
  console.log('| page | first byte | DOM ready | hydrated (p50 of 10) |');
  console.log('|---|---:|---:|---:|');
  for (const path of ['/users', '/users?q=person12', '/roles', '/audit']) {
    const runs = [];
    for (let i = 0; i < 10; i++) {
      await page.goto(`${base}${path}`, { waitUntil: 'commit' });
      await page.waitForSelector('html[data-hydrated="true"]', { timeout: 30_000 });
      runs.push(
        await page.evaluate(() => {
          const nav = performance.getEntriesByType('navigation')[0];
          return { ttfb: nav.responseStart, dom: nav.domContentLoadedEventEnd, hydrated: performance.now() };
        }),
      );
    }
    const median = (key) => runs.map((r) => r[key]).sort((a, b) => a - b)[5].toFixed(0);
    console.log(`| ${path} | ${median('ttfb')} ms | ${median('dom')} ms | ${median('hydrated')} ms |`);
  }
  console.log('\n_"hydrated" is when the page answers clicks: the moment `data-hydrated` was seen, read after it, so an upper bound._\n');
  await browser.close();
} else {
  console.error('usage: bench-browser.mjs sizes DIR | hydration URL USER PASSWORD');
  process.exit(2);
}
