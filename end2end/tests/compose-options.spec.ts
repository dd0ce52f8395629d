import {
  connectDemoAccounts,
  expect,
  randomId,
  signInReady,
  simLoginDemoPerson,
  simMedia,
  SIM_URL,
  test,
  waitForHydration,
  type Locator,
  type Page,
} from './support';

// What customers ask for besides media and a caption, offered where Instagram allows it:
// collaborators, people tagged where they are, a place, the AI label, a first comment, and the
// reel settings. Each test publishes through the simulator and reads back what it holds.

const FILES = `${SIM_URL}/_sim/files`;

/** What the simulator holds of a published post, as far as these tests read it. */
type HeldPost = {
  caption: string | null;
  collaborators?: string[];
  user_tags?: { username: string; x?: number; y?: number }[];
  location_name?: string;
  is_ai_generated?: boolean;
  share_to_feed?: boolean | null;
  thumb_offset?: number;
  trial_params?: { graduation_strategy: string };
  comments: { text: string }[];
};

async function composer(page: Page): Promise<Locator> {
  await signInReady(page);
  await connectDemoAccounts(page);
  await page.goto('/compose');
  const form = page.getByTestId('compose-form');
  await waitForHydration(form);
  return form;
}

async function held(request: Parameters<typeof simMedia>[0], caption: string): Promise<HeldPost> {
  const posts = (await simMedia(request)).filter((m) => m.caption === caption);
  expect(posts, 'exactly one post on Instagram').toHaveLength(1);
  return posts[0] as unknown as HeldPost;
}

test.beforeEach(async ({ request }) => {
  await simLoginDemoPerson(request);
});

test.describe('what a post carries besides its media', () => {
  test('a feed image carries collaborators, a person tagged where they are, a place, the AI label and a first comment', async ({
    page,
    request,
  }) => {
    const form = await composer(page);
    await form.getByTestId('media-url').fill(`${FILES}/photo.jpg?w=1080&h=1080`);
    const caption = `Opening day at the café (e2e ${randomId()})`;
    await form.getByTestId('compose-caption').fill(caption);

    // A person is tagged by username, then placed by clicking where they are on the preview.
    const row = form.getByTestId('media-row');
    await row.getByTestId('tag-username').fill('@anna.k');
    await row.getByTestId('tag-add').click();
    const image = row.getByTestId('media-preview').locator('img');
    await expect(image).toBeVisible();
    const box = (await image.boundingBox())!;
    await image.click({ position: { x: box.width * 0.25, y: box.height * 0.75 } });
    await expect(row.getByTestId('tag-chip')).toContainText('@anna.k');
    await expect(row.getByTestId('tag-chip')).toContainText('25% across, 75% down');

    await form.getByTestId('collaborators').fill('@cara.creates, dan_d');
    await form.getByTestId('place-query').fill('Café');
    await form.getByTestId('place-search').click();
    await form.getByTestId('place-option').filter({ hasText: 'Café Central' }).click();
    await expect(form.getByTestId('place-chosen')).toContainText('Café Central');
    await form.getByTestId('ai-label').check();
    await form.getByTestId('first-comment').fill('#vienna #coffee');
    await expect(form.getByTestId('first-comment-counters')).toContainText('2 / 30 hashtags');

    await form.getByTestId('compose-submit').click();
    await expect(page.getByTestId('compose-created')).toContainText('Queued: publishing now.');
    // The form starts afresh for the next post.
    await expect(form.getByTestId('collaborators')).toHaveValue('');
    await expect(form.getByTestId('tag-chip')).toHaveCount(0);

    await page.goto('/history');
    const post = page.getByTestId('post').filter({ hasText: caption });
    await expect(post.getByTestId('post-status')).toHaveText('Published', { timeout: 30_000 });
    await expect(post.getByTestId('post-options')).toHaveText(
      'With @cara.creates, @dan_d · Tagged @anna.k · 📍 Café Central · AI label · First comment posted',
      { timeout: 30_000 },
    );

    const live = await held(request, caption);
    expect(live.collaborators).toEqual(['cara.creates', 'dan_d']);
    expect(live.user_tags).toHaveLength(1);
    expect(live.user_tags![0].username).toBe('anna.k');
    expect(live.user_tags![0].x).toBeCloseTo(0.25, 1);
    expect(live.user_tags![0].y).toBeCloseTo(0.75, 1);
    expect(live.location_name).toBe('Café Central');
    expect(live.is_ai_generated).toBe(true);
    expect(live.comments.map((c) => c.text)).toEqual(['#vienna #coffee']);
  });

  test('a reel can stay out of the feed grid, take a frame as its cover and go out as a trial', async ({
    page,
    request,
  }) => {
    const form = await composer(page);
    await expect(form.getByTestId('reel-settings')).toHaveCount(0);
    await form.getByTestId('kind-reel').check();
    await form.getByTestId('media-url').fill(`${FILES}/clip.mp4?secs=12`);
    const caption = `Behind the counter (e2e ${randomId()})`;
    await form.getByTestId('compose-caption').fill(caption);
    const settings = form.getByTestId('reel-settings');
    await expect(settings.getByTestId('share-to-feed')).toBeChecked();
    await settings.getByTestId('share-to-feed').uncheck();
    await settings.getByTestId('cover-frame').fill('2.5');
    await settings.getByTestId('trial-reel').selectOption('performance');
    // Reels take tags without a position.
    await form.getByTestId('tag-username').fill('barista.bea');
    await form.getByTestId('tag-add').click();
    await expect(form.getByTestId('tag-chip')).toHaveText(/@barista\.bea\s*×/);

    await form.getByTestId('compose-submit').click();
    await expect(page.getByTestId('compose-created')).toContainText('Queued: publishing now.');
    await page.goto('/history');
    const post = page.getByTestId('post').filter({ hasText: caption });
    await expect(post.getByTestId('post-status')).toHaveText('Published', { timeout: 30_000 });
    await expect(post.getByTestId('post-options')).toHaveText(
      'Tagged @barista.bea · Reels only · Trial reel (shared if it does well)',
    );

    const live = await held(request, caption);
    expect(live.share_to_feed).toBe(false);
    expect(live.thumb_offset).toBe(2500);
    expect(live.trial_params).toEqual({ graduation_strategy: 'SS_PERFORMANCE' });
    expect(live.user_tags).toEqual([{ username: 'barista.bea' }]);
  });

  test('mistakes are pointed out while typing, and stories offer only what they take', async ({
    page,
  }) => {
    const form = await composer(page);
    await form.getByTestId('collaborators').fill('one, two, three, four');
    await expect(form.getByTestId('collaborators-error')).toHaveText(
      'Instagram allows at most 3 collaborators; 4 were given.',
    );
    await form.getByTestId('collaborators').fill('one, two, @three');
    await expect(form.getByTestId('collaborators-error')).toHaveCount(0);

    await form.getByTestId('tag-username').fill('not a name!');
    await form.getByTestId('tag-add').click();
    await expect(form.getByTestId('tag-error')).toContainText('is not an Instagram username');
    await expect(form.getByTestId('tag-chip')).toHaveCount(0);

    // A reel takes a cover image or a frame, not both.
    await form.getByTestId('kind-reel').check();
    await form.getByTestId('media-url').fill(`${FILES}/clip.mp4?secs=12`);
    await form.getByTestId('cover-url').fill(`${FILES}/cover.jpg`);
    await form.getByTestId('cover-frame').fill('1');
    await expect(form.getByTestId('reel-settings')).toContainText(
      'Choose a cover image or a frame of the video, not both.',
    );

    await form.getByTestId('kind-story').check();
    await expect(form.getByTestId('post-extras')).toHaveCount(0);
    await expect(form.getByTestId('reel-settings')).toHaveCount(0);
    await expect(form.getByTestId('tag-username')).toBeVisible();
  });
});
