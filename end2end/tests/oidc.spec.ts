import * as http from 'node:http';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import { test, expect } from '../fixtures';
import { SignInPage, adminCredentials } from '../pages/SignInPage';
import { waitForHydration } from '../pages/hydration';

// An application signs a person in through Tessera the way any standard client does: discovery,
// the authorization code flow with PKCE through Tessera's own sign-in page, tokens verified with
// a JWT library Tessera does not use itself. Then an admin gives the person's group a role in the
// console, and the application's next refresh carries the new scope.
const base = process.env.TESSERA_E2E_URL || 'http://127.0.0.1:3000';
const redirectUri = 'http://127.0.0.1:9555/callback';

test('an application signs a person in and sees a new group role at its next refresh', async ({ page, browser }) => {
  const tag = Date.now().toString(36);
  const clientId = `pw-shop-${tag}`;
  const scope = `shop${tag}:orders`;
  const groupName = 'Platform On-call';
  const roleName = `Shop buyer ${tag}`;

  // The admin registers the application on the Applications page.
  const signIn = new SignInPage(page);
  await signIn.goto();
  await signIn.signIn();
  await page.goto('/applications');
  await waitForHydration(page);
  await page.getByText('New application…').click();
  await page.getByLabel('Name', { exact: true }).fill(`Playwright Shop ${tag}`);
  await page.getByLabel(/^Client id/).fill(clientId);
  await page.getByLabel(/^Redirect URIs/).fill(redirectUri);
  await page.getByRole('button', { name: 'Create application' }).click();
  await expect(page.getByRole('status')).toContainText(`Created the application Playwright Shop ${tag}`);
  await expect(page.getByRole('link', { name: `Playwright Shop ${tag}` })).toBeVisible();

  // Set-up through the admin API with the admin's session: a scope, a role, and the admin in a
  // group (the person signing in to the application is the admin).
  const api = page.request;
  const post = async (path: string, data: unknown) => {
    const response = await api.post(path, { data, headers: { Accept: 'application/json' } });
    expect(response.status(), `${path}: ${await response.text()}`).toBe(200);
    return response.json();
  };
  await post('/api/scopes/create', { name: scope, description: 'Place orders in the shop' });
  await post('/api/roles/create', { name: roleName, description: '', scopes: [scope] });
  const me = await (await api.post('/api/me', { headers: { Accept: 'application/json' } })).json();
  const groups = await (await api.post('/api/groups/options', { headers: { Accept: 'application/json' } })).json();
  const group = groups.find((g: { name: string }) => g.name === groupName);
  await post('/api/groups/members/add', { group_id: group.id, user_ids: [me.user_id], expires_at: null });

  // The application, as a standard OpenID Connect client.
  const config = await oidc.discovery(new URL(base), clientId, undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
  const verifier = oidc.randomPKCECodeVerifier();
  const challenge = await oidc.calculatePKCECodeChallenge(verifier);
  const state = oidc.randomState();
  const authorizationUrl = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: `openid profile ${scope}`,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
  });

  // A fresh browser: Tessera's sign-in page, then back to the application with a code.
  const visitor = await browser.newContext();
  const visitorPage = await visitor.newPage();
  // The application's callback: a real listener, since the browser arrives there by redirect.
  const application = http.createServer((_, response) => response.end('the application'));
  await new Promise<void>((resolve) => application.listen(9555, '127.0.0.1', resolve));
  await visitorPage.goto(authorizationUrl.href);
  await expect(visitorPage).toHaveURL(/\/sign-in\?next=/);
  const visitorSignIn = new SignInPage(visitorPage);
  await visitorSignIn.submitCredentials(adminCredentials());
  await visitorPage.waitForURL(/^http:\/\/127\.0\.0\.1:9555\/callback\?/);
  const callback = new URL(visitorPage.url());
  expect(callback.searchParams.get('code')).toBeTruthy();
  expect(callback.searchParams.get('state')).toBe(state);
  await visitor.close();
  application.close();

  const tokens = await oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  expect(tokens.claims()?.preferred_username).toBe('admin');

  // Verified with jose against the published JWKS, as a resource server would.
  const jwks = createRemoteJWKSet(new URL(`${base}/oauth/jwks`));
  const verify = (token: string) =>
    jwtVerify(token, jwks, { issuer: base, audience: `${base}/api`, typ: 'at+jwt', algorithms: ['EdDSA'] });
  expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');
  const first = await verify(tokens.access_token);
  expect(first.payload.client_id).toBe(clientId);
  expect(String(first.payload.scope).split(' ')).not.toContain(scope);

  // The admin gives the group the role in the console.
  await page.goto('/groups?q=platform');
  await page.getByRole('link', { name: groupName }).click();
  await waitForHydration(page);
  await page.getByRole('tab', { name: 'Roles' }).click();
  await page.getByLabel('Add a role').selectOption({ label: roleName });
  await page.getByRole('button', { name: 'Add role' }).click();
  await expect(page.getByRole('status')).toContainText(`now has the role ${roleName}`);

  // The application's very next refresh carries the new scope; the refresh token rotated.
  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
  expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
  const second = await verify(refreshed.access_token);
  expect(String(second.payload.scope).split(' ')).toContain(scope);

  // The old refresh token is now spent: presenting it again ends the session.
  await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

  // Leave the demo organisation as it was for the other tests.
  await post('/api/groups/members/remove', { group_id: group.id, user_id: me.user_id });
  const roles = await (await api.post('/api/roles/options', { headers: { Accept: 'application/json' } })).json();
  const role = roles.find((r: { name: string }) => r.name === roleName);
  await post('/api/groups/roles/remove', { group_id: group.id, role_id: role.id });
});
