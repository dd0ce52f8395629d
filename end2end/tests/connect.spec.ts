import {
  BASE_URL,
  DEMO_PERSON,
  accountCard,
  accountCards,
  answerDialogInPopup,
  CONNECTED,
  connectButton,
  connectDemoAccounts,
  delayMessagesToPage,
  dialogUrl,
  expect,
  expectDemoAccountsActive,
  openConnectPopup,
  signIn,
  signInReady,
  simLogin,
  simLoginDemoPerson,
  simScenario,
  test,
} from './support';

// Each test starts with the seeded demo person signed in to the simulator's dialog.
test.beforeEach(async ({ request }) => {
  await simLoginDemoPerson(request);
});

test.describe('connecting Instagram accounts', () => {
  test('the popup connects every Instagram account behind the chosen Pages', async ({ page }) => {
    await signInReady(page);
    await expect(connectButton(page)).toHaveText('Connect Instagram Account');
    await expect(page.getByTestId('accounts-empty')).toBeVisible();

    const popup = await openConnectPopup(page);
    await expect(popup.getByRole('heading', { name: `Continue as ${DEMO_PERSON}` })).toBeVisible();
    await expect(popup.getByLabel('Demo Café')).toBeChecked();
    await expect(popup.getByLabel('Demo Studio')).toBeChecked();
    await expect(popup.getByLabel('Demo Community')).toBeChecked();
    await expect(page.getByTestId('connect-pending')).toBeVisible();

    await answerDialogInPopup(popup, 'Continue');

    await expect(page).toHaveURL(`${BASE_URL}/`);
    const outcome = page.getByTestId('connect-outcome');
    await expect(outcome).toContainText(CONNECTED);
    await expect(outcome).toHaveClass(/success/);
    await expect(page.getByTestId('connect-pending')).toBeHidden();
    await expectDemoAccountsActive(page);
    await expect(accountCard(page, 'demo.cafe')).toContainText('Page: Demo Café');
    await expect(accountCard(page, 'demo.studio')).toContainText('Page: Demo Studio');

    // The server, not the page, holds them.
    await page.reload();
    await expectDemoAccountsActive(page);
  });

  test('cancelling in the popup explains what happened and connects nothing', async ({ page }) => {
    await signInReady(page);
    const popup = await openConnectPopup(page);
    await answerDialogInPopup(popup, 'Cancel');

    const outcome = page.getByTestId('connect-outcome');
    await expect(outcome).toContainText('OAuth error: access_denied');
    await expect(outcome).toContainText('You cancelled or declined on Facebook, so nothing was connected.');
    await expect(outcome).toHaveClass(/error/);
    await expect(page.getByTestId('accounts-empty')).toBeVisible();
    await expect(accountCards(page)).toHaveCount(0);
  });

  test('a Facebook user without Pages is told "No Facebook pages found"', async ({
    page,
    request,
  }) => {
    const nora = await simScenario(request, 'no_pages');
    try {
      await simLogin(request, nora.user_id);
      await signInReady(page);
      const popup = await openConnectPopup(page);
      await expect(popup.getByRole('heading', { name: `Continue as ${nora.name}` })).toBeVisible();
      await expect(popup.getByText("You don't manage any Facebook Pages.")).toBeVisible();
      await answerDialogInPopup(popup, 'Continue');

      const outcome = page.getByTestId('connect-outcome');
      await expect(outcome).toContainText('No Facebook pages found');
      await expect(outcome).toContainText('must be linked to a Facebook Page you manage');
      await expect(accountCards(page)).toHaveCount(0);
    } finally {
      await simLoginDemoPerson(request);
    }
  });

  test('when the popup is blocked, the whole page goes to Facebook and back', async ({ page }) => {
    // The browser refuses popups; count the attempts where they survive the trip to Facebook.
    await page.addInitScript(() => {
      window.open = () => {
        sessionStorage.setItem('e2e-blocked-popups', String(Number(sessionStorage.getItem('e2e-blocked-popups') ?? 0) + 1));
        return null;
      };
    });
    await signInReady(page);
    await connectButton(page).click();

    await expect(page).toHaveURL(dialogUrl());
    await expect(page.getByRole('heading', { name: `Continue as ${DEMO_PERSON}` })).toBeVisible();
    await page.getByRole('button', { name: 'Continue', exact: true }).click();

    await expect(page).toHaveURL(new RegExp(`^${BASE_URL}/\\?connect_flow=[^&]+$`));
    await expect(page.getByTestId('connect-outcome')).toContainText(CONNECTED);
    await expectDemoAccountsActive(page);
    // The hydrated page tried the popup first, then fell back to the redirect.
    expect(await page.evaluate(() => sessionStorage.getItem('e2e-blocked-popups'))).toBe('1');
  });

  test('disconnecting an account removes it from the list', async ({ page }) => {
    await signInReady(page);
    await connectDemoAccounts(page);

    const cafe = accountCard(page, 'demo.cafe');
    await cafe.locator('summary', { hasText: 'Disconnect' }).click();
    await expect(cafe).toContainText('Disconnect @demo.cafe?');
    await cafe.getByRole('button', { name: 'Yes, disconnect' }).click();

    await expect(cafe).toHaveCount(0);
    await expect(accountCards(page)).toHaveCount(1);
    await expect(accountCard(page, 'demo.studio')).toBeVisible();

    await page.reload();
    await expect(accountCards(page)).toHaveCount(1);
    await expect(accountCard(page, 'demo.cafe')).toHaveCount(0);
  });

  // The popup posts its message to the page and closes at once, so the page's "popup closed?" poll
  // may see it closed before the message is delivered (it happens on its own). Delaying the page's
  // message listener by 1.5 s makes that order certain: the outcome must show all the same.
  test('the outcome shows even when the popup\'s message arrives after it closed', async ({ page }) => {
    await delayMessagesToPage(page, 1500);
    await signInReady(page);
    const popup = await openConnectPopup(page);
    await answerDialogInPopup(popup, 'Cancel');
    // The page notices the closed popup (before the delayed message reaches it)...
    await expect(page.getByTestId('connect-pending')).toBeHidden();
    // ...and still shows what happened once it does.
    const outcome = page.getByTestId('connect-outcome');
    await expect(outcome).toContainText('OAuth error: access_denied');
    await expect(outcome).toHaveClass(/error/);
    await expect(accountCards(page)).toHaveCount(0);
  });

  test.describe('without JavaScript', () => {
    test.use({ javaScriptEnabled: false });

    test('signing in, connecting and disconnecting work with full-page redirects', async ({
      page,
    }) => {
      await signIn(page);
      await connectButton(page).click();

      await expect(page).toHaveURL(dialogUrl());
      await expect(page.getByRole('heading', { name: `Continue as ${DEMO_PERSON}` })).toBeVisible();
      await page.getByRole('button', { name: 'Continue', exact: true }).click();

      await expect(page).toHaveURL(new RegExp(`^${BASE_URL}/\\?connect_flow=[^&]+$`));
      await expect(page.getByTestId('connect-outcome')).toContainText(CONNECTED);
      await expectDemoAccountsActive(page);

      const cafe = accountCard(page, 'demo.cafe');
      await cafe.locator('summary', { hasText: 'Disconnect' }).click();
      await cafe.getByRole('button', { name: 'Yes, disconnect' }).click();
      await expect(accountCard(page, 'demo.cafe')).toHaveCount(0);
      await expect(accountCards(page)).toHaveCount(1);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await expect(page.getByTestId('signin-prompt')).toBeVisible();
    });
  });
});
