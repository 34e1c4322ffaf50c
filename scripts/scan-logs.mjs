// Scans the logs a test run wrote for secrets that must never be logged: passwords, session
// cookies, refresh tokens, authorization codes, client secrets and JWTs. Run by scripts/test
// after every test; exits 1 and prints the offending lines if it finds one.
//
// Usage: node scripts/scan-logs.mjs FILE_OR_DIRECTORY...
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

// Every password the tests use contains "passphrase": collect them from the test sources, so
// that a new test's password is looked for too.
function testPasswords() {
  const found = new Set(['e2e admin passphrase']);
  const dirs = ['tests/integration', 'end2end/tests', 'end2end/pages'];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const text = readFileSync(join(dir, name), 'utf8');
      for (const match of text.matchAll(/["'`]([^"'`\n]*passphrase[^"'`\n]*)["'`]/g)) {
        if (!match[1].includes('{') && !match[1].includes('$')) found.add(match[1]);
      }
    }
  }
  return [...found];
}

const patterns = [
  ['a JWT', /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/],
  // Session tokens, refresh tokens, codes and client secrets: 32 random bytes, base64url.
  ['a 256-bit token', /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/],
  ['a session cookie', /tessera_session=[^;\s]+/],
  ['a password field', /password\s*[=:]\s*"?[^"\s,}]{3,}/i],
  ['a Basic credential', /Basic [A-Za-z0-9+/=]{12,}/],
];

function files(paths) {
  const out = [];
  for (const path of paths) {
    if (!existsSync(path)) continue;
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path)) out.push(...files([join(path, name)]));
    } else {
      out.push(path);
    }
  }
  return out;
}

// Only what Tessera's tracing wrote: lines that start with a timestamp and a level. Playwright's
// own report lines (test names, failure diffs) are not logs of the server.
const logLine = /^\s*(\x1b\[[0-9;]*m)?\d{4}-\d{2}-\d{2}T[0-9:.]+Z/;

// First, that the scan would see each kind of secret at all: a scan that finds nothing proves
// little unless it is known to find something.
const planted = [
  '2026-12-04T08:00:00.000000Z  INFO token=eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhYmNkZWYifQ.c2lnbmF0dXJl',
  '2026-12-04T08:00:00.000000Z  INFO refresh Qk3n9xP2vT7aLm4sW8yZ1bC5dF6gH0jK2lN3pR4tU5v',
  '2026-12-04T08:00:00.000000Z DEBUG cookie: tessera_session=abc123def456',
  '2026-12-04T08:00:00.000000Z  WARN form password="hunter22"',
  '2026-12-04T08:00:00.000000Z  INFO authorization: Basic dXNlcjpzZWNyZXQxMjM0',
];
for (const [index, [what, pattern]] of patterns.entries()) {
  if (!pattern.test(planted[index]) || !logLine.test(planted[index])) {
    console.error(`The scan's own check failed: it does not recognise ${what}.`);
    process.exit(1);
  }
}

const passwords = testPasswords();
let scanned = 0;
const problems = [];
for (const file of files(process.argv.slice(2))) {
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, index) => {
    if (!logLine.test(line)) return;
    scanned += 1;
    for (const [what, pattern] of patterns) {
      if (pattern.test(line)) problems.push(`${file}:${index + 1}: ${what}: ${line.slice(0, 300)}`);
    }
    for (const password of passwords) {
      if (line.includes(password)) problems.push(`${file}:${index + 1}: the password "${password}": ${line.slice(0, 300)}`);
    }
  });
}
if (problems.length > 0) {
  console.error(`Secrets found in the logs (${problems.length}):\n${problems.join('\n')}`);
  process.exit(1);
}
if (scanned === 0) {
  console.error('No log lines were found to scan: did the tests write their logs?');
  process.exit(1);
}
console.log(`Scanned ${scanned} log lines for ${passwords.length} test passwords and ${patterns.length} secret patterns: none found.`);
