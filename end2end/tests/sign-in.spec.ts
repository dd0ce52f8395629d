import {
  BASE_URL,
  expect,
  freshTenant,
  signIn,
  signInForm,
  test,
  waitForHydration,
} from './support';

test.describe('demo sign-in', () => {
  test('the sign-in link leads to the demo form', async ({ page }) => {
    await page.goto('/');
    await page.getByTestId('signin-prompt').getByRole('link', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(`${BASE_URL}/signin`);
    await expect(signInForm(page)).toBeVisible();
  });

  test('signs in as the typed customer and user, and the header shows them', async ({ page }) => {
    const tenant = freshTenant();
    await signIn(page, tenant);
    const who = page.getByTestId('signed-in-as');
    await expect(who).toContainText(tenant.userId);
    await expect(who).toContainText(tenant.customerId);
    await expect(page.getByRole('heading', { name: 'Instagram accounts', exact: true })).toBeVisible();
    await expect(page.getByTestId('accounts-empty')).toBeVisible();

    // The session survives a reload.
    await page.reload();
    await expect(page.getByTestId('signed-in-as')).toContainText(tenant.userId);
  });

  test('refuses an id with characters it does not allow', async ({ page }) => {
    await page.goto('/signin');
    const form = signInForm(page);
    await waitForHydration(form);
    await form.getByLabel('Customer ID').fill('not a valid id!');
    await form.getByLabel('User ID').fill(freshTenant().userId);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toContainText('may only contain letters, digits');
    await expect(page.getByTestId('signed-in-as')).toHaveCount(0);
  });

  test('signing out returns to the sign-in prompt', async ({ page }) => {
    await signIn(page);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByTestId('signin-prompt')).toBeVisible();
    await expect(page.getByTestId('signed-in-as')).toHaveCount(0);
    await expect(page.getByRole('link', { name: 'Sign in' }).first()).toBeVisible();
  });
});
