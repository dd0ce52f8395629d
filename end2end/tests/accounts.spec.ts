import {
  CONNECTED,
  accountCard,
  answerDialogInPopup,
  connectDemoAccounts,
  expect,
  openConnectPopup,
  signInReady,
  simLoginDemoPerson,
  SIM_URL,
  test,
  waitForHydration,
  type APIRequestContext,
  type Page,
} from './support';

// Accounts that stay connected: each card says how the account publishes and whether its login
// needs attention, and the composer warns before a post is scheduled past the login's end.

/** Sets how long the simulator's logins keep access to a person's data (Meta: 90 days). */
async function simDataAccessDays(request: APIRequestContext, days: number): Promise<void> {
  const response = await request.post(`${SIM_URL}/_sim/settings`, {
    data: { data_access_secs: days * 86_400 },
  });
  expect(response.ok(), 'POST /_sim/settings').toBeTruthy();
}

/** A `datetime-local` value `days` from now, in the browser's own time zone. */
async function localInDays(page: Page, days: number): Promise<string> {
  return page.evaluate((d) => {
    const at = new Date(Date.now() + d * 86_400_000);
    at.setMinutes(at.getMinutes() - at.getTimezoneOffset());
    return at.toISOString().slice(0, 16);
  }, days);
}

test.beforeEach(async ({ request }) => {
  await simLoginDemoPerson(request);
});

test.describe('accounts that stay connected', () => {
  test('an account without a Facebook Page connects with Instagram Login and says so', async ({
    page,
  }) => {
    await signInReady(page);
    await expect(page.getByTestId('connect-ways')).toContainText('No Facebook Page?');
    const popupEvent = page.waitForEvent('popup');
    await page.getByTestId('connect-instagram').click();
    const popup = await popupEvent;
    const sim = SIM_URL.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    await expect(popup).toHaveURL(new RegExp(`^${sim}/oauth/authorize\\?`));
    await expect(
      popup.getByRole('heading', { name: /access your Instagram account/ }),
    ).toBeVisible();
    await popup.getByLabel('@demo.studio').check();
    await answerDialogInPopup(popup, 'Allow');
    await expect(page.getByTestId('connect-outcome')).toContainText('Connected @demo.studio.');
    const card = accountCard(page, 'demo.studio');
    await expect(card.getByTestId('account-login')).toContainText('via Instagram Login');
    await expect(card.getByTestId('account-login')).not.toContainText('Page:');
    await expect(card.getByTestId('account-status')).toHaveText('Active');
  });

  test('a connected account is active and publishes with its Page token', async ({ page }) => {
    await signInReady(page);
    await connectDemoAccounts(page);
    const card = accountCard(page, 'demo.cafe');
    await expect(card).toContainText("publishes with the Page's own token");
    await expect(card.getByTestId('account-expiry')).toHaveCount(0);
  });

  test('data access ending within two weeks is flagged, and the composer warns past it', async ({
    page,
    request,
  }) => {
    await simDataAccessDays(request, 10);
    try {
      await signInReady(page);
      const popup = await openConnectPopup(page);
      await answerDialogInPopup(popup, 'Continue');
      await expect(page.getByTestId('connect-outcome')).toContainText(CONNECTED);
      const card = accountCard(page, 'demo.cafe');
      await expect(card.getByTestId('account-status')).toHaveText('Expiring soon');
      await expect(card.getByTestId('account-expiry')).toContainText('Its Facebook login expires');
      await expect(card.getByTestId('reconnect')).toBeVisible();

      await page.goto('/compose');
      const form = page.getByTestId('compose-form');
      await waitForHydration(form);
      await form.getByTestId('when-later').check();
      await form.getByTestId('schedule-at').fill(await localInDays(page, 12));
      await expect(form.getByTestId('expiry-warning')).toContainText(
        "'s Facebook access ends before this time",
      );
      await form.getByTestId('schedule-at').fill(await localInDays(page, 3));
      await expect(form.getByTestId('expiry-warning')).toHaveCount(0);
    } finally {
      await simDataAccessDays(request, 90);
    }
  });
});
