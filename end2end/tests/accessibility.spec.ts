import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { test, expect } from '../fixtures';
import { signIn } from '../pages/SignInPage';
import { UsersPage } from '../pages/UsersPage';
import type { ListPage } from '../pages/ListPage';
import { auditLogPage, groupsPage, rolesPage, scopesPage } from '../pages/sections';

const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const BLOCKING_IMPACTS = new Set(['serious', 'critical']);

/** Runs axe on the current page and fails on any serious or critical violation, listing them. */
async function expectNoSeriousViolations(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  const blocking = results.violations.filter((violation) => BLOCKING_IMPACTS.has(violation.impact ?? ''));
  const report = blocking
    .map((violation) => {
      const nodes = violation.nodes
        .map((node) => `    - ${node.target.join(' ')}\n      ${(node.failureSummary ?? '').replace(/\n/g, '\n      ')}`)
        .join('\n');
      return `  [${violation.impact}] ${violation.id}: ${violation.help} (${violation.helpUrl})\n${nodes}`;
    })
    .join('\n');
  expect(
    blocking.map((violation) => violation.id),
    `axe found ${blocking.length} serious/critical WCAG violation(s) on ${page.url()}:\n${report}`,
  ).toEqual([]);
}

test.describe('Accessibility (axe, WCAG 2.1 A/AA)', () => {
  test('the sign-in page has no serious or critical violations', async ({ page, signInPage }) => {
    await signInPage.goto();
    await expectNoSeriousViolations(page);
  });

  const consolePages: { name: string; open: (page: Page) => ListPage }[] = [
    { name: 'users', open: (page) => new UsersPage(page) },
    { name: 'roles', open: rolesPage },
    { name: 'scopes', open: scopesPage },
    { name: 'groups', open: groupsPage },
    { name: 'audit log', open: auditLogPage },
  ];

  for (const { name, open } of consolePages) {
    test(`the ${name} page has no serious or critical violations`, async ({ page }) => {
      await signIn(page);
      const listPage = open(page);
      await listPage.goto();
      await expect(listPage.rows.first()).toBeVisible();
      await expectNoSeriousViolations(page);
    });
  }
});
