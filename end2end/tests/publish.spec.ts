import {
  BASE_URL,
  CONNECTED,
  answerDialogInPopup,
  connectButton,
  connectDemoAccounts,
  expect,
  expectDemoAccountsActive,
  openConnectPopup,
  randomId,
  signIn,
  signInReady,
  simLogin,
  simLoginDemoPerson,
  simMedia,
  simScenario,
  SIM_URL,
  test,
  waitForHydration,
  type APIRequestContext,
  type Locator,
  type Page,
} from './support';

// Real files at real URLs: the simulator's file host generates them (`/_sim/files/{name}`), the
// service looks at their first bytes before queueing a post, and the simulator reads hints from
// their query (`sim_processing_ms`, `sim_status`, `sim_fetch`; crates/graph-sim/src/lib.rs).
const FILES = `${SIM_URL}/_sim/files`;
const IMAGE_URL = `${FILES}/photo.jpg`;
const VIDEO_URL = `${FILES}/clip.mp4`;

/** Signs in as a fresh customer and connects the demo person's @demo.cafe and @demo.studio. */
async function signInWithDemoAccounts(page: Page): Promise<void> {
  await signInReady(page);
  await connectDemoAccounts(page);
}

/** A caption no other post has, to find the post again in the history and the simulator. */
function uniqueCaption(text: string): string {
  return `${text} (e2e ${randomId()})`;
}

/** Loads /compose and waits until its form is hydrated (live counters, local-time scheduling). */
async function openComposer(page: Page): Promise<Locator> {
  await page.goto('/compose');
  const form = page.getByTestId('compose-form');
  await waitForHydration(form);
  return form;
}

async function chooseAccount(form: Locator, username: string): Promise<void> {
  const select = form.getByTestId('compose-account');
  const value = await select.locator('option', { hasText: `@${username} ` }).getAttribute('value');
  expect(value, `@${username} is offered`).toBeTruthy();
  await select.selectOption(value!);
}

/** The success banner's link leads to the history within the page (no reload). */
async function goToHistoryFromBanner(page: Page): Promise<void> {
  await page.getByTestId('compose-created').getByRole('link', { name: 'See it in the history' }).click();
  await expect(page).toHaveURL(`${BASE_URL}/history`);
}

function postCard(page: Page, caption: string): Locator {
  return page.getByTestId('post').filter({ hasText: caption });
}

function postStatus(post: Locator): Locator {
  return post.getByTestId('post-status');
}

/**
 * Submits the filled-in carousel composer for @demo.cafe with `caption`, follows the banner to the
 * history, waits for the post to go live, and checks the simulator holds exactly one album of
 * `items` children.
 */
async function publishCarouselAndWatch(
  page: Page,
  request: APIRequestContext,
  form: Locator,
  caption: string,
  items: number,
): Promise<void> {
  await form.getByTestId('compose-caption').fill(caption);
  await form.getByTestId('compose-submit').click();
  await expect(page.getByTestId('compose-created')).toContainText('Queued: publishing now.');

  await goToHistoryFromBanner(page);
  const post = postCard(page, caption);
  await expect(post).toContainText(`Carousel · ${items} items · @demo.cafe`);
  await expect(postStatus(post)).toHaveText('Published', { timeout: 30_000 });
  await expect(post.getByTestId('permalink')).toBeVisible();

  const published = (await simMedia(request)).filter((m) => m.caption === caption);
  expect(published).toHaveLength(1);
  expect(published[0].media_type).toBe('CAROUSEL_ALBUM');
  expect(published[0].children).toHaveLength(items);
}

/** Marks the document, so a later check can tell that the page was not reloaded meanwhile. */
async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as Record<string, unknown>).__e2eSameDocument = true;
  });
}

async function expectSameDocument(page: Page): Promise<void> {
  const same = await page.evaluate(
    () => (window as unknown as Record<string, unknown>).__e2eSameDocument === true,
  );
  expect(same, 'the history updated itself without a reload').toBe(true);
}

/** `ms` since the epoch as a `datetime-local` value (YYYY-MM-DDTHH:MM) at UTC offset `offsetHours`. */
function localInputValue(ms: number, offsetHours: number): string {
  return new Date(ms + offsetHours * 3_600_000).toISOString().slice(0, 16);
}

/** The first whole minute at or after `ms` (since the epoch). */
function nextWholeMinute(ms: number): number {
  return Math.ceil(ms / 60_000) * 60_000;
}

// Each test connects the seeded demo person's accounts.
test.beforeEach(async ({ request }) => {
  await simLoginDemoPerson(request);
});

test.describe('publishing from the page', () => {
  test('an image post is queued, then goes live while the history watches', async ({
    page,
    request,
  }) => {
    await signInWithDemoAccounts(page);
    const form = await openComposer(page);
    await chooseAccount(form, 'demo.cafe');
    await expect(form.getByTestId('kind-image')).toBeChecked();
    await expect(form.getByTestId('media-row')).toHaveCount(1);

    const caption = uniqueCaption('Fresh bread this morning #bakery');
    // Instagram takes a few seconds over this one, so the history sees it in flight.
    await form.getByTestId('media-url').fill(`${IMAGE_URL}?sim_processing_ms=5000`);
    await form.getByTestId('compose-caption').fill(caption);
    const submit = form.getByTestId('compose-submit');
    await expect(submit).toHaveText('Publish now');
    await submit.click();

    await expect(page.getByTestId('compose-created')).toContainText('Queued: publishing now.');
    await expect(page.getByTestId('compose-error')).toHaveCount(0);
    // A fresh form for the next post.
    await expect(form.getByTestId('compose-caption')).toHaveValue('');
    await expect(form.getByTestId('media-url')).toHaveValue('');

    await goToHistoryFromBanner(page);
    const post = postCard(page, caption);
    await expect(postStatus(post)).toHaveText(/^(Queued|Publishing)$/);
    await expect(post).toContainText('Image · @demo.cafe');
    await expect(post.getByTestId('permalink')).toHaveCount(0);

    await markDocument(page);
    await expect(postStatus(post)).toHaveText('Published', { timeout: 30_000 });
    await expectSameDocument(page);
    await expect(post).toContainText('Published ');
    const permalink = post.getByTestId('permalink');
    await expect(permalink).toContainText('View on Instagram');
    const href = await permalink.getAttribute('href');
    expect(href).toMatch(/^https:\/\/www\.instagram\.com\/p\/[^/]+\/$/);
    await expect(page.getByTestId('posts').getByTestId('post')).toHaveCount(1);

    // It is the post Instagram (the simulator) has, with this caption and permalink.
    const published = (await simMedia(request)).filter((m) => m.caption === caption);
    expect(published).toHaveLength(1);
    expect(published[0].permalink).toBe(href);
    expect(published[0].media_type).toBe('IMAGE');
  });

  test.describe('in the browser\'s own time zone', () => {
    test.use({ timezoneId: 'Asia/Tokyo', locale: 'en-US' });

    test('a post scheduled a minute ahead in local time is published when due', async ({
      page,
    }) => {
      // A datetime-local field takes whole minutes, so the post is due on a whole minute: the first
      // one at least 10 s after the form is ready (time to see the post scheduled first), which
      // makes this test wait 10 to 70 s.
      test.setTimeout(150_000);
      const TOKYO = 9; // hours ahead of UTC, all year round

      await signInWithDemoAccounts(page);
      const form = await openComposer(page);
      await chooseAccount(form, 'demo.studio');
      const caption = uniqueCaption('Open studio tonight');
      await form.getByTestId('media-url').fill(IMAGE_URL);
      await form.getByTestId('compose-caption').fill(caption);

      await expect(form.getByTestId('schedule-at')).toBeHidden();
      await form.getByTestId('when-later').check();
      await expect(form.getByTestId('compose-submit')).toHaveText('Schedule');
      const due = nextWholeMinute(Date.now() + 10_000);
      const local = localInputValue(due, TOKYO);
      await form.getByTestId('schedule-at').fill(local);
      await form.getByTestId('compose-submit').click();

      await expect(page.getByTestId('compose-created')).toContainText('Scheduled.');
      await goToHistoryFromBanner(page);
      const post = postCard(page, caption);
      await expect(postStatus(post)).toHaveText('Scheduled');
      await expect(post).toContainText('Image · @demo.studio');
      await expect(post.getByTestId('cancel-post')).toBeVisible();

      // The page sent the Tokyo time as UTC, and shows it in Tokyo time again.
      const scheduledFor = post.locator('span', { hasText: 'Scheduled for' }).locator('time');
      expect(Date.parse((await scheduledFor.getAttribute('datetime'))!)).toBe(due);
      const [date, time] = local.split('T');
      const [year, month, day] = date.split('-').map(Number);
      const [hour, minute] = time.split(':').map(Number);
      const hour12 = hour % 12 === 0 ? 12 : hour % 12;
      const shown = new RegExp(
        `^${month}/${day}/${year}, ${hour12}:${String(minute).padStart(2, '0')}:00\\s${hour < 12 ? 'AM' : 'PM'}$`,
      );
      await expect(scheduledFor).toHaveText(shown);

      // The publisher is woken when the post is due; the history, watching, shows it published.
      await markDocument(page);
      await expect(postStatus(post)).toHaveText('Published', {
        timeout: due - Date.now() + 30_000,
      });
      await expectSameDocument(page);
      await expect(post.getByTestId('permalink')).toBeVisible();
      await expect(post.getByTestId('cancel-post')).toHaveCount(0);
      await expect(post.locator('span', { hasText: 'Scheduled for' }).locator('time')).toHaveText(shown);
    });

    test('next to the date, a freshly loaded composer names the browser\'s time zone', async ({
      page,
    }) => {
      await signInWithDemoAccounts(page);
      const form = await openComposer(page);
      await form.getByTestId('when-later').check();
      await expect(form.getByTestId('schedule-at')).toBeVisible();
      await expect(form).toContainText('Your time zone: Asia/Tokyo');
      await expect(form).not.toContainText('Time in UTC');
    });
  });

  test('a broken rule is explained next to its field, and nothing is created', async ({ page }) => {
    await signInWithDemoAccounts(page);
    const form = await openComposer(page);
    const counters = form.getByTestId('caption-counters');
    const hashtags = counters.locator('span', { hasText: 'hashtags' });

    // 31 hashtags: the counter warns before anything is sent...
    const tags = Array.from({ length: 31 }, (_, i) => `#tag${i + 1}`).join(' ');
    await form.getByTestId('media-url').fill(IMAGE_URL);
    await form.getByTestId('compose-caption').fill(`Too many tags ${tags}`);
    await expect(hashtags).toHaveText('31 / 30 hashtags');
    await expect(hashtags).toHaveClass(/\bover\b/);
    // ...and the server refuses it, next to the caption.
    await form.getByTestId('compose-submit').click();
    const captionError = form.getByTestId('caption-error');
    await expect(captionError).toHaveText('The caption has 31 hashtags; Instagram allows 30.');
    await expect(page.getByTestId('compose-created')).toHaveCount(0);
    // What was typed stays.
    await expect(form.getByTestId('compose-caption')).toHaveValue(`Too many tags ${tags}`);

    // Thirty are fine, but media must be fetched over https.
    await form.getByTestId('compose-caption').fill(`Just enough ${tags.replace(' #tag31', '')}`);
    await expect(hashtags).toHaveText('30 / 30 hashtags');
    await expect(hashtags).not.toHaveClass(/\bover\b/);
    await form.getByTestId('media-url').fill('http://cdn.example.com/photo.jpg');
    await form.getByTestId('compose-submit').click();
    await expect(form.getByTestId('media-error')).toHaveText(
      'Only https URLs are accepted: Instagram fetches media over https.',
    );
    await expect(captionError).toHaveCount(0);
    await expect(page.getByTestId('compose-created')).toHaveCount(0);

    await page.goto('/history');
    await expect(page.getByTestId('history-empty')).toBeVisible();
    await expect(page.getByTestId('post')).toHaveCount(0);
  });

  test('the caption counters follow the typing', async ({ page }) => {
    await signInWithDemoAccounts(page);
    const form = await openComposer(page);
    const caption = form.getByTestId('compose-caption');
    const counter = (what: string) =>
      form.getByTestId('caption-counters').locator('span', { hasText: what });

    await expect(counter('characters')).toHaveText('0 / 2200 characters');
    await expect(counter('hashtags')).toHaveText('0 / 30 hashtags');
    await expect(counter('mentions')).toHaveText('0 / 20 mentions');

    await caption.pressSequentially('Hi @ana.b #sun');
    await expect(counter('characters')).toHaveText('14 / 2200 characters');
    await expect(counter('hashtags')).toHaveText('1 / 30 hashtags');
    await expect(counter('mentions')).toHaveText('1 / 20 mentions');

    // Counted like Instagram: an e-mail address, `x#y` and a bare `#` are no tags; an emoji is one
    // character.
    await caption.pressSequentially(' #sea_side mail me@example.com x#y # 👋');
    await expect(counter('characters')).toHaveText('52 / 2200 characters');
    await expect(counter('hashtags')).toHaveText('2 / 30 hashtags');
    await expect(counter('mentions')).toHaveText('1 / 20 mentions');

    await caption.fill('');
    await expect(counter('characters')).toHaveText('0 / 2200 characters');
    await expect(counter('hashtags')).toHaveText('0 / 30 hashtags');

    // Past a limit the counter says so.
    await caption.fill('a'.repeat(2200));
    await expect(counter('characters')).toHaveText('2200 / 2200 characters');
    await expect(counter('characters')).not.toHaveClass(/\bover\b/);
    await caption.press('Control+End');
    await caption.pressSequentially('!');
    await expect(counter('characters')).toHaveText('2201 / 2200 characters');
    await expect(counter('characters')).toHaveClass(/\bover\b/);
    const mentions = Array.from({ length: 21 }, (_, i) => `@friend${i}`).join(' ');
    await caption.fill(mentions);
    await expect(counter('mentions')).toHaveText('21 / 20 mentions');
    await expect(counter('mentions')).toHaveClass(/\bover\b/);
    await expect(counter('characters')).not.toHaveClass(/\bover\b/);
  });

  test('a carousel of two items is published', async ({ page, request }) => {
    await signInWithDemoAccounts(page);
    const form = await openComposer(page);
    await chooseAccount(form, 'demo.cafe');
    const rows = form.getByTestId('media-row');

    await form.getByTestId('kind-carousel').check();
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0).getByLabel('Item 1 URL')).toBeVisible();
    await expect(rows.nth(1).getByLabel('Item 2 URL')).toBeVisible();
    // Each item says whether it is an image or a video.
    await rows.nth(1).getByLabel('Media type').selectOption('video');

    await rows.nth(0).getByTestId('media-url').fill(IMAGE_URL);
    await rows.nth(1).getByTestId('media-url').fill(VIDEO_URL);
    await publishCarouselAndWatch(page, request, form, uniqueCaption('Two views of the new menu'), 2);
  });

  test('a carousel of two images and a video added with "+ Add video" is published', async ({
    page,
    request,
  }) => {
    await signInWithDemoAccounts(page);
    const form = await openComposer(page);
    await chooseAccount(form, 'demo.cafe');
    const rows = form.getByTestId('media-row');

    await form.getByTestId('kind-carousel').check();
    await expect(rows).toHaveCount(2);
    await form.getByRole('button', { name: '+ Add video' }).click();
    await expect(rows).toHaveCount(3);
    await expect(rows.nth(2).getByLabel('Item 3 URL')).toBeVisible();
    await expect(rows.nth(2).getByLabel('Media type')).toHaveValue('video');

    await rows.nth(0).getByTestId('media-url').fill(`${IMAGE_URL}?item=1`);
    await rows.nth(1).getByTestId('media-url').fill(`${IMAGE_URL}?item=2`);
    await rows.nth(2).getByTestId('media-url').fill(VIDEO_URL);
    await publishCarouselAndWatch(page, request, form, uniqueCaption('Three views of the new menu'), 3);
  });

  test('a Creator account is told that stories need a Business account, and the composer warns next time', async ({
    page,
    request,
  }) => {
    const cara = await simScenario(request, 'creator');
    try {
      await simLogin(request, cara.user_id);
      await signInReady(page);
      const popup = await openConnectPopup(page);
      await answerDialogInPopup(popup, 'Continue');
      await expect(page.getByTestId('connect-outcome')).toContainText('Connected @cara.creates');

      let form = await openComposer(page);
      await form.getByTestId('kind-story').check();
      await expect(form.getByTestId('stories-warning')).toHaveCount(0);
      await form.getByTestId('media-url').fill(IMAGE_URL);
      await form.getByTestId('compose-submit').click();
      await expect(page.getByTestId('compose-created')).toContainText('Queued: publishing now.');

      await goToHistoryFromBanner(page);
      const story = page.getByTestId('post').first();
      await expect(postStatus(story)).toHaveText('Failed', { timeout: 30_000 });
      await expect(story.getByTestId('post-error')).toContainText('only from Business accounts');

      // The account is remembered: the composer says so before anything is queued.
      form = await openComposer(page);
      await form.getByTestId('kind-story').check();
      await expect(form.getByTestId('stories-warning')).toContainText('cannot publish stories');
      await form.getByTestId('kind-image').check();
      await expect(form.getByTestId('stories-warning')).toHaveCount(0);
    } finally {
      await simLoginDemoPerson(request);
    }
  });

  test('a failed post shows why and what to do, and can be retried; a scheduled one cancelled', async ({
    page,
  }) => {
    await signInWithDemoAccounts(page);
    const form = await openComposer(page);
    const failing = uniqueCaption('This one will not download');
    await form.getByTestId('media-url').fill(`${FILES}/x.jpg?sim_fetch=fail`);
    await form.getByTestId('compose-caption').fill(failing);
    await form.getByTestId('compose-submit').click();
    await expect(page.getByTestId('compose-created')).toContainText('Queued: publishing now.');

    // A second post, scheduled for tomorrow in the browser's time.
    const later = uniqueCaption('Tomorrow, maybe');
    await form.getByTestId('media-url').fill(IMAGE_URL);
    await form.getByTestId('compose-caption').fill(later);
    await form.getByTestId('when-later').check();
    const tomorrow = await page.evaluate(() => {
      const d = new Date(Date.now() + 24 * 3_600_000);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    });
    await form.getByTestId('schedule-at').fill(tomorrow);
    await form.getByTestId('compose-submit').click();
    await expect(page.getByTestId('compose-created')).toContainText('Scheduled.');

    await goToHistoryFromBanner(page);
    await expect(page.getByTestId('post')).toHaveCount(2);

    const failed = postCard(page, failing);
    await expect(postStatus(failed)).toHaveText('Failed', { timeout: 30_000 });
    const error = failed.getByTestId('post-error');
    await expect(error).toContainText(
      `The media could not be fetched from this uri: ${FILES}/x.jpg?sim_fetch=fail`,
    );
    await expect(error).toContainText(
      'Instagram could not download the media. Check that the URL is public, uses https and points straight at a JPEG image or MP4/MOV video.',
    );
    await expect(failed.getByTestId('permalink')).toHaveCount(0);
    await expect(failed.getByTestId('cancel-post')).toHaveCount(0);

    // Retry queues it again; the same URL fails the same way.
    await failed.getByTestId('retry-post').click();
    // "What happened" lists every step (the list is folded away; its text is there all the same).
    const steps = failed.locator('details.steps');
    await expect(steps).toContainText('Queued again by the customer.');
    await expect(postStatus(failed)).toHaveText('Failed', { timeout: 30_000 });
    await expect(steps.locator('li', { hasText: 'could not be fetched' })).toHaveCount(2);
    await expect(failed.getByTestId('retry-post')).toBeVisible();

    // Cancelling the scheduled post.
    const scheduled = postCard(page, later);
    await expect(postStatus(scheduled)).toHaveText('Scheduled');
    await expect(scheduled.getByTestId('retry-post')).toHaveCount(0);
    await scheduled.getByTestId('cancel-post').click();
    await expect(postStatus(scheduled)).toHaveText('Cancelled');
    await expect(scheduled.getByTestId('cancel-post')).toHaveCount(0);

    // The server holds both outcomes.
    await page.reload();
    await expect(postStatus(postCard(page, later))).toHaveText('Cancelled');
    await expect(postStatus(postCard(page, failing))).toHaveText('Failed');
  });

  test.describe('without JavaScript', () => {
    test.use({ javaScriptEnabled: false });

    /** Signs in and connects the demo accounts with full-page trips to Facebook and back. */
    async function signInWithDemoAccountsWithoutJs(page: Page): Promise<void> {
      await signIn(page);
      await connectButton(page).click();
      await page.getByRole('button', { name: 'Continue', exact: true }).click();
      await expect(page.getByTestId('connect-outcome')).toContainText(CONNECTED);
      await expectDemoAccountsActive(page);
    }

    test('an image post is sent as a plain form post', async ({ page }) => {
      await signInWithDemoAccountsWithoutJs(page);
      await page.goto('/compose');
      const form = page.getByTestId('compose-form');
      await expect(form).toHaveAttribute('method', /^post$/i);
      await expect(form).toHaveAttribute('action', '/app/fn/create_post');
      // Without JavaScript the time zone is unknown, and the page says so.
      await expect(form).toContainText('Time in UTC');
      await chooseAccount(form, 'demo.studio');
      const caption = uniqueCaption('Sent without JavaScript');
      await form.getByTestId('media-url').fill(IMAGE_URL);
      await form.getByTestId('compose-caption').fill(caption);

      const answer = page.waitForResponse(
        (r) => r.request().method() === 'POST' && r.url() === `${BASE_URL}/app/fn/create_post`,
      );
      await form.getByTestId('compose-submit').click();
      // A browser's plain form post is answered with the history, where the new post shows.
      const response = await answer;
      expect(response.status()).toBe(302);
      expect(response.headers()['location']).toBe('/history');
      await expect(page).toHaveURL(new RegExp(`^${BASE_URL}/history$`));
      const post = postCard(page, caption);
      await expect(postStatus(post)).toHaveText(/^(Queued|Publishing|Published)$/);
      await expect(post).toContainText('Image · @demo.studio');
      // Without JavaScript the history does not refresh itself: reload until it is published.
      await expect
        .poll(
          async () => {
            await page.reload();
            return postStatus(post).textContent();
          },
          { timeout: 30_000, intervals: [1_000] },
        )
        .toBe('Published');
      await expect(post.getByTestId('permalink')).toBeVisible();
    });

    test('a refused post says why', async ({ page }) => {
      await signInWithDemoAccountsWithoutJs(page);
      await page.goto('/compose');
      const form = page.getByTestId('compose-form');
      await form.getByTestId('media-url').fill('http://cdn.example.com/photo.jpg');
      await form.getByTestId('compose-submit').click();
      await expect(page.getByTestId('media-error')).toContainText('Only https URLs are accepted');
    });

    test('a post can be scheduled', async ({ page }) => {
      await signInWithDemoAccountsWithoutJs(page);
      await page.goto('/compose');
      const form = page.getByTestId('compose-form');
      await form.getByTestId('when-later').check();
      await expect(form.getByTestId('schedule-at')).toBeVisible();
      // Without JavaScript the time zone is unknown: the page says the time is UTC, and it is.
      const at = new Date(Date.now() + 3 * 3600_000);
      const local = at.toISOString().slice(0, 16);
      await chooseAccount(form, 'demo.cafe');
      const caption = uniqueCaption('Scheduled without JavaScript');
      await form.getByTestId('media-url').fill(IMAGE_URL);
      await form.getByTestId('compose-caption').fill(caption);
      await form.getByTestId('schedule-at').fill(local);
      await form.getByTestId('compose-submit').click();
      await expect(page).toHaveURL(new RegExp(`^${BASE_URL}/history$`));
      await expect(postStatus(postCard(page, caption))).toHaveText('Scheduled');
    });
  });
});
