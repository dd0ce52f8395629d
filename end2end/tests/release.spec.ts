// The release smoke test (@release): run by scripts/release-smoke against the release build laid
// out as the runtime image holds it, and with the rest of the suite against the debug build.

import {
  connectDemoAccounts,
  expect,
  signInReady,
  simLoginDemoPerson,
  test,
  waitForHydration,
} from './support';

/** Set by scripts/release-smoke: the server under test is the release layout. */
const RELEASE = process.env.E2E_RELEASE === '1';

test.describe('the shipped build @release', () => {
  test('the page loads, hydrates, signs in to the demo and connects an account', async ({
    page,
    request,
  }) => {
    await simLoginDemoPerson(request);
    const response = await page.goto('/');
    expect(response?.status()).toBe(200);
    await expect(page).toHaveTitle('Social Platform');

    await signInReady(page);
    await connectDemoAccounts(page);

    // The release bundle goes out compressed (scripts/build-release precompresses it).
    if (RELEASE) {
      const wasm = await request.get('/pkg/social-media-uploader.wasm', {
        headers: { 'Accept-Encoding': 'br, gzip' },
      });
      expect(wasm.status()).toBe(200);
      expect(wasm.headers()['content-encoding']).toMatch(/^(br|gzip)$/);
    }

    // The composer, whose view once overflowed the release build, hydrates too.
    await page.getByRole('link', { name: 'Compose' }).first().click();
    await waitForHydration(page.getByTestId('compose-form'));
    await page.getByTestId('kind-carousel').check();
    await expect(page.getByTestId('media-row')).toHaveCount(2);
  });
});
