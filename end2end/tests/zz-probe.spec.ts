import { test, expect, signInReady, openConnectPopup, answerDialogInPopup, delayMessagesToPage, simLoginDemoPerson } from './support';
test.beforeEach(async ({ request }) => { await simLoginDemoPerson(request); });
test('repro: message after close is lost', async ({ page }) => {
  await delayMessagesToPage(page, 1500);
  await signInReady(page);
  const popup = await openConnectPopup(page);
  await answerDialogInPopup(popup, 'Cancel');
  await expect(page.getByTestId('connect-outcome')).toContainText('OAuth error: access_denied', { timeout: 5000 });
});
test('control: same delay, popup kept open 3 s, message is used', async ({ page }) => {
  await page.context().addInitScript(() => {
    if (window.opener && /\/oauth\/callback$/.test(location.pathname)) {
      const close = window.close.bind(window);
      window.close = () => { setTimeout(close, 3000); };
    }
  });
  await delayMessagesToPage(page, 1500);
  await signInReady(page);
  const popup = await openConnectPopup(page);
  await answerDialogInPopup(popup, 'Cancel');
  await expect(page.getByTestId('connect-outcome')).toContainText('OAuth error: access_denied', { timeout: 5000 });
});
