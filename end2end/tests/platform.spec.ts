// The platform's side of connecting: its API server starts a flow, and only a browser that proves
// it belongs to the flow's customer and user can finish it (README, "Connecting from the
// platform's page"; docs/security.md O10). Playwright serves the platform's page itself, on an
// origin the server allow-lists.

import { createHmac } from 'node:crypto';

import { JWT_SECRET, PLATFORM_ORIGIN } from '../env';
import {
  BASE_URL,
  DEMO_USERNAMES,
  expect,
  freshTenant,
  simLoginDemoPerson,
  test,
  type APIRequestContext,
  type Tenant,
} from './support';

/** A platform JWT (HS256) for the tenant, as the platform's API server signs it. */
function platformJwt(tenant: Tenant): string {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const head = b64({ alg: 'HS256', typ: 'JWT' });
  const body = b64({
    customer_id: tenant.customerId,
    user_id: tenant.userId,
    exp: Math.floor(Date.now() / 1000) + 600,
  });
  const signature = createHmac('sha256', JWT_SECRET).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

type Initiated = {
  auth_url: string;
  flow_id: string;
  bind: { url: string; method: string; secret: string };
};

/** `GET /oauth/initiate` as the platform's API server. */
async function initiate(request: APIRequestContext, tenant: Tenant): Promise<Initiated> {
  const response = await request.get(`${BASE_URL}/api/social-media/instagram/oauth/initiate`, {
    headers: { Authorization: `Bearer ${platformJwt(tenant)}` },
  });
  expect(response.status(), await response.text()).toBe(200);
  return response.json();
}

async function flowState(request: APIRequestContext, tenant: Tenant, flowId: string) {
  const response = await request.get(
    `${BASE_URL}/api/social-media/instagram/oauth/flows/${flowId}`,
    { headers: { Authorization: `Bearer ${platformJwt(tenant)}` } },
  );
  return (await response.json()).flow.state as string;
}

test.beforeEach(async ({ request }) => {
  await simLoginDemoPerson(request);
});

test.describe("connecting from the platform's page", () => {
  test('a connect link opened in another browser is refused and changes nothing', async ({
    page,
    request,
  }) => {
    const tenant = freshTenant();
    const flow = await initiate(request, tenant);
    const response = await page.goto(flow.auth_url);
    expect(response?.status()).toBe(403);
    await expect(page.locator('#result-message')).toContainText(
      'can only be used in the browser of the person who started it',
    );
    await expect(page.getByRole('button', { name: 'Continue to Facebook' })).toHaveCount(0);
    expect(await flowState(request, tenant, flow.flow_id)).toBe('pending');
  });

  test("the platform's page binds its popup, which names the customer and connects", async ({
    page,
    request,
  }) => {
    const tenant = freshTenant();
    const flow = await initiate(request, tenant);
    // The platform's own page: a button that posts the flow's secret into a popup.
    await page.route(`${PLATFORM_ORIGIN}/**`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!DOCTYPE html><html><body>
          <form method="post" action="${flow.bind.url}" target="connect-popup">
            <input type="hidden" name="secret" value="${flow.bind.secret}">
            <button type="submit">Connect Instagram</button>
          </form>
          <script>
            window.received = [];
            window.addEventListener('message', (e) => window.received.push({ origin: e.origin, data: e.data }));
            document.querySelector('form').addEventListener('submit', () => {
              window.open('about:blank', 'connect-popup', 'width=600,height=700');
            });
          </script>
        </body></html>`,
      }),
    );
    await page.goto(`${PLATFORM_ORIGIN}/settings`);
    const popupEvent = page.waitForEvent('popup');
    await page.getByRole('button', { name: 'Connect Instagram' }).click();
    const popup = await popupEvent;
    await expect(popup.locator('#consent-customer')).toContainText(tenant.customerId);
    await expect(popup.locator('#consent-customer')).toContainText(tenant.userId);
    await popup.getByRole('button', { name: 'Continue to Facebook' }).click();
    const closed = popup.waitForEvent('close', { timeout: 30_000 });
    await popup.getByRole('button', { name: 'Continue', exact: true }).click();
    await closed;
    // The popup told the platform's page (exactly its origin), and the server says connected.
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { received: unknown[] }).received))
      .toContainEqual({
        origin: BASE_URL,
        data: { type: 'instagram-connect', status: 'success', flow_id: flow.flow_id },
      });
    expect(await flowState(request, tenant, flow.flow_id)).toBe('connected');
    const accounts = await request.get(`${BASE_URL}/api/social-media/instagram/credentials`, {
      headers: { Authorization: `Bearer ${platformJwt(tenant)}` },
    });
    const usernames = (await accounts.json()).credentials.map(
      (a: { instagram_username: string }) => a.instagram_username,
    );
    expect(usernames.sort()).toEqual([...DEMO_USERNAMES].sort());
  });
});
