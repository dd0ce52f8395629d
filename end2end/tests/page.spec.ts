import { BASE_URL, expect, openConnectPopup, signInReady, test } from './support';

test.describe('the page', () => {
  test('loads and shows the demo banner and the sign-in prompt', async ({ page }) => {
    const response = await page.goto('/');
    expect(response?.status()).toBe(200);
    await expect(page).toHaveTitle('Social Platform');
    await expect(page.getByTestId('demo-banner')).toContainText('Demo mode');
    await expect(page.getByTestId('signin-prompt')).toContainText('Sign in to manage Instagram');
  });

  test('is sent from 127.0.0.1 to its configured origin', async ({ page }) => {
    await page.goto(`${BASE_URL.replace('//localhost:', '//127.0.0.1:')}/signin`);
    await expect(page).toHaveURL(`${BASE_URL}/signin`);
  });

  test('hydrates: the wasm loads and Connect opens a popup instead of leaving the page', async ({
    page,
  }) => {
    const wasm = page.waitForResponse((r) => /\/pkg\/[^/?]+\.wasm(\?|$)/.test(r.url()));
    await signInReady(page);
    expect((await wasm).status()).toBe(200);

    const popup = await openConnectPopup(page);
    await expect(page).toHaveURL(`${BASE_URL}/`);
    // Only the hydrated page shows this while the popup is open...
    await expect(page.getByTestId('connect-pending')).toBeVisible();
    // ...and notices when the popup is closed without an answer.
    await popup.close();
    await expect(page.getByTestId('connect-pending')).toBeHidden();
    await expect(page.getByTestId('accounts-empty')).toBeVisible();
  });

  test('shows "Page not found" for an unknown path', async ({ page }) => {
    const response = await page.goto('/no-such-page');
    expect(response?.status()).toBe(404);
    await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Back to your accounts' })).toBeVisible();
  });
});

test.describe('health checks', () => {
  test('/healthz answers {"status":"ok"}', async ({ request }) => {
    const response = await request.get('/healthz');
    expect(response.status()).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  test('/readyz says the service is ready', async ({ request }) => {
    const response = await request.get('/readyz');
    expect(response.status()).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ready' });
  });
});
