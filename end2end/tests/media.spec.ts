import {
  SIM_URL,
  connectDemoAccounts,
  expect,
  randomId,
  signIn,
  signInReady,
  simLoginDemoPerson,
  test,
  waitForHydration,
  type APIRequestContext,
  type Page,
} from './support';

// The Media page: files dropped or picked go up with a progress bar each (large videos in
// resumable chunks), appear in the library with their thumbnails, and can be deleted.

/** A real file from the simulator's file host. */
async function simFile(request: APIRequestContext, name: string): Promise<Buffer> {
  const response = await request.get(`${SIM_URL}/_sim/files/${name}`);
  expect(response.ok(), name).toBeTruthy();
  return Buffer.from(await response.body());
}

async function openLibrary(page: Page, signedIn = false): Promise<void> {
  if (!signedIn) {
    await signIn(page);
  }
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Media' }).click();
  await expect(page.getByRole('heading', { name: 'Media library' })).toBeVisible();
  await waitForHydration(page.getByTestId('dropzone'));
}

test.describe('the media library', () => {
  test('two photos dropped and a large video picked go up with progress and are listed', async ({
    page,
    request,
  }) => {
    await openLibrary(page);
    await expect(page.getByTestId('media-empty')).toBeVisible();
    const wide = await simFile(request, 'photo.jpg?w=1600&h=1200');
    const square = await simFile(request, 'photo.png?w=900&h=900');
    // Dropped, as a person drags files from their computer.
    const transfer = await page.evaluateHandle(
      ([a, b]) => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(a)], 'wide.jpg', { type: 'image/jpeg' }));
        data.items.add(new File([new Uint8Array(b)], 'square.png', { type: 'image/png' }));
        return data;
      },
      [Array.from(wide), Array.from(square)],
    );
    await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer: transfer });
    // Larger than one chunk: it goes up in parts.
    const video = await simFile(request, 'clip.mp4?secs=12&bytes=9500000');
    await page.getByTestId('file-input').setInputFiles({
      name: 'long.mp4',
      mimeType: 'video/mp4',
      buffer: video,
    });
    for (const name of ['wide.jpg', 'square.png', 'long.mp4']) {
      await expect(page.locator(`[data-testid="upload"][data-name="${name}"]`)).toHaveAttribute(
        'data-state',
        'done',
        { timeout: 30_000 },
      );
    }
    const cards = page.getByTestId('media-card');
    await expect(cards).toHaveCount(3);
    await expect(page.locator('[data-testid="media-card"][data-name="wide.jpg"]')).toContainText(
      '1600×1200',
    );
    await expect(page.locator('[data-testid="media-card"][data-name="long.mp4"]')).toHaveAttribute(
      'data-kind',
      'video',
    );
    // The thumbnail is a real picture the browser decoded.
    const thumb = page.locator('[data-testid="media-card"][data-name="wide.jpg"] img');
    await expect
      .poll(() => thumb.evaluate((img) => (img as HTMLImageElement).naturalWidth))
      .toBe(320);

    // Alt text is kept with the photo: saved, shown again after a reload, and no field for videos.
    const wideCard = page.locator('[data-testid="media-card"][data-name="wide.jpg"]');
    await wideCard.getByTestId('media-alt').fill('A wide harbour at dusk');
    await wideCard.getByTestId('media-alt-save').click();
    await expect(page.getByTestId('alt-saved')).toBeVisible();
    await page.reload();
    await expect(wideCard.getByTestId('media-alt')).toHaveValue('A wide harbour at dusk');
    await expect(wideCard.locator('img')).toHaveAttribute('alt', 'A wide harbour at dusk');
    await expect(
      page.locator('[data-testid="media-card"][data-name="long.mp4"]').getByTestId('media-alt'),
    ).toHaveCount(0);

    await page
      .locator('[data-testid="media-card"][data-name="square.png"]')
      .getByTestId('media-delete')
      .click();
    await expect(cards).toHaveCount(2);
  });

  test('a file that is not a photo or a video is refused with the reason', async ({ page }) => {
    await openLibrary(page);
    await page.getByTestId('file-input').setInputFiles({
      name: 'notes.jpg',
      mimeType: 'image/jpeg',
      buffer: Buffer.from('just some words'),
    });
    const line = page.locator('[data-testid="upload"][data-name="notes.jpg"]');
    await expect(line).toHaveAttribute('data-state', 'failed');
    await expect(line.getByTestId('upload-message')).toContainText('not a photo or a video');
    await expect(page.getByTestId('media-empty')).toBeVisible();
  });
});

test('a library photo is shaped for the post, published, and shown in the history', async ({
  page,
  request,
}) => {
  await simLoginDemoPerson(request);
  await signInReady(page);
  await connectDemoAccounts(page);
  await openLibrary(page, true);
  await page.getByTestId('file-input').setInputFiles({
    name: 'tall.jpg',
    mimeType: 'image/jpeg',
    buffer: await simFile(request, 'photo.jpg?w=1080&h=1920'),
  });
  await expect(page.locator('[data-testid="upload"][data-name="tall.jpg"]')).toHaveAttribute(
    'data-state',
    'done',
  );

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compose' }).click();
  const form = page.getByTestId('compose-form');
  await waitForHydration(form);
  const pick = form.getByTestId('library-pick');
  await expect(pick.locator('option', { hasText: 'tall.jpg' })).toHaveCount(1);
  await pick.selectOption({ label: 'tall.jpg' });
  await form.getByTestId('library-fit').selectOption('pad');
  // The preview is the file the post will carry: 9:16 padded into the feed's 4:5.
  const preview = form.getByTestId('media-preview').locator('img');
  await expect
    .poll(() =>
      preview.evaluate((img) => {
        const i = img as HTMLImageElement;
        return `${i.naturalWidth}x${i.naturalHeight}`;
      }),
    )
    .toBe('1440x1800');
  const caption = `From the library (e2e ${randomId()})`;
  await form.getByTestId('compose-caption').fill(caption);
  await form.getByTestId('compose-submit').click();
  await expect(page.getByTestId('compose-created')).toContainText('Queued');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History' }).click();
  const post = page.getByTestId('post').filter({ hasText: caption });
  await expect(post.getByTestId('post-status')).toHaveText('Published', { timeout: 30_000 });
  const shown = post.locator('img').first();
  await expect
    .poll(() => shown.evaluate((img) => (img as HTMLImageElement).naturalWidth))
    .toBe(1440);
});

test('a photo uploaded from the composer can be picked at once', async ({ page, request }) => {
  await simLoginDemoPerson(request);
  await signInReady(page);
  await connectDemoAccounts(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compose' }).click();
  const form = page.getByTestId('compose-form');
  await waitForHydration(form);
  await form.getByTestId('compose-file-input').setInputFiles({
    name: 'from-composer.jpg',
    mimeType: 'image/jpeg',
    buffer: await simFile(request, 'photo.jpg?w=1080&h=1080'),
  });
  await expect(
    form.locator('[data-testid="upload"][data-name="from-composer.jpg"]'),
  ).toHaveAttribute('data-state', 'done');
  await expect(
    form.getByTestId('library-pick').locator('option', { hasText: 'from-composer.jpg' }),
  ).toHaveCount(1);
});
