// Helpers shared by the specs: a fresh customer per test, the demo sign-in, waiting for
// hydration, the connect popup and the Graph simulator's control API.

import { randomBytes } from 'node:crypto';

import {
  test as base,
  expect,
  type APIRequestContext,
  type Locator,
  type Page,
} from '@playwright/test';

import { BASE_URL, SIM_URL } from '../env';

export { expect, BASE_URL, SIM_URL };
export type { APIRequestContext, Locator, Page };

/** The demo person the server seeds into its simulator (src/sim/demo.rs). */
export const DEMO_PERSON = 'Demo Person';
export const DEMO_USERNAMES = ['demo.cafe', 'demo.studio'];

/** Runs in every page before the app's scripts: marks each element that gets a `submit`
 * listener, which the app's forms only get once the wasm has hydrated them. */
function markSubmitListeners() {
  const add = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (
    this: EventTarget,
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ) {
    if (type === 'submit') {
      (this as unknown as Record<string, unknown>).__e2eSubmitListener = true;
    }
    return add.call(this, type, listener, options);
  };
}

/** `test` whose browser contexts mark hydrated forms (see `waitForHydration`). */
export const test = base.extend({
  context: async ({ context }, use) => {
    await context.addInitScript(markSubmitListeners);
    await use(context);
  },
});

/** A short id no other test (or earlier run) has used, e.g. to make a caption unique. */
export function randomId(): string {
  return `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

export type Tenant = { customerId: string; userId: string };

/** A customer and user no other test (or earlier run) has used. */
export function freshTenant(): Tenant {
  const id = randomId();
  return { customerId: `e2e-customer-${id}`, userId: `e2e-user-${id}` };
}

/** Resolves once `form` has been hydrated: its submit handler is the app's (wasm) one. With
 * Leptos' event delegation the handler would be a `$$$submit` property instead; both count. */
export async function waitForHydration(form: Locator): Promise<void> {
  await expect
    .poll(
      () =>
        form
          .evaluate((el) => {
            const marks = el as unknown as Record<string, unknown>;
            return Boolean(marks.__e2eSubmitListener || marks['$$$submit']);
          })
          .catch(() => false),
      { message: 'the form is hydrated (the wasm attached its submit handler)' },
    )
    .toBe(true);
}

export function signInForm(page: Page): Locator {
  return page.getByTestId('signin-form');
}

/** The "Connect Instagram Account" button (`data-testid="connect"`; an account that needs it has
 * its own "Reconnect" button, `data-testid="reconnect"`). */
export function connectButton(page: Page): Locator {
  return page.getByTestId('connect');
}

/** The Connect button's form. */
export function connectForm(page: Page): Locator {
  return page.locator('form', { has: connectButton(page) });
}

/** Signs in through the demo form, as a fresh tenant unless one is given, and lands on "/". */
export async function signIn(page: Page, tenant: Tenant = freshTenant()): Promise<Tenant> {
  await page.goto('/signin');
  const form = signInForm(page);
  await form.getByLabel('Customer ID').fill(tenant.customerId);
  await form.getByLabel('User ID').fill(tenant.userId);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(`${BASE_URL}/`);
  await expect(page.getByTestId('signed-in-as')).toContainText(tenant.userId);
  await expect(page.getByTestId('signed-in-as')).toContainText(tenant.customerId);
  return tenant;
}

/** Signs in and waits until the accounts page is hydrated, so Connect opens a popup. */
export async function signInReady(page: Page): Promise<Tenant> {
  const tenant = await signIn(page);
  await expect(connectButton(page)).toBeEnabled();
  await waitForHydration(connectForm(page));
  return tenant;
}

/** Clicks Connect on a hydrated page and returns the popup, once it shows the dialog. */
export async function openConnectPopup(page: Page): Promise<Page> {
  const popupEvent = page.waitForEvent('popup');
  await connectButton(page).click();
  const popup = await popupEvent;
  await expect(popup).toHaveURL(dialogUrl());
  return popup;
}

/** The simulator's Facebook Login dialog, with any Graph version prefix. */
export function dialogUrl(): RegExp {
  const origin = SIM_URL.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${origin}/(v[0-9.]+/)?dialog/oauth\\?`);
}

/** Delays the page's `message` listeners by `ms`: the popup's message then reaches the app after
 * the popup has visibly closed, as it sometimes does on its own. */
export async function delayMessagesToPage(page: Page, ms: number): Promise<void> {
  await page.addInitScript((delay) => {
    const add = EventTarget.prototype.addEventListener;
    EventTarget.prototype.addEventListener = function (
      this: EventTarget,
      type: string,
      listener: EventListenerOrEventListenerObject | null,
      options?: boolean | AddEventListenerOptions,
    ) {
      if (this === window && type === 'message' && typeof listener === 'function') {
        const late = (ev: Event) => setTimeout(() => listener.call(window, ev), delay);
        return add.call(this, type, late, options);
      }
      return add.call(this, type, listener, options);
    };
  }, ms);
}

/** Answers the dialog in the popup and waits until the popup has closed itself. */
export async function answerDialogInPopup(
  popup: Page,
  button: 'Continue' | 'Cancel' | 'Allow',
): Promise<void> {
  const closed = popup.waitForEvent('close', { timeout: 30_000 });
  await popup.getByRole('button', { name: button, exact: true }).click();
  await closed;
}

export function accountCards(page: Page): Locator {
  return page.getByTestId('account');
}

export function accountCard(page: Page, username: string): Locator {
  return page.locator(`[data-testid="account"][data-username="${username}"]`);
}

/** Both demo accounts are listed, each "Active". */
export async function expectDemoAccountsActive(page: Page): Promise<void> {
  await expect(accountCards(page)).toHaveCount(DEMO_USERNAMES.length);
  for (const username of DEMO_USERNAMES) {
    const card = accountCard(page, username);
    await expect(card).toContainText(`@${username}`);
    await expect(card.getByTestId('account-status')).toHaveText('Active');
  }
}

/** The outcome banner after connecting the demo person's accounts. */
export const CONNECTED = 'Connected @demo.cafe, @demo.studio.';

/** Connects the demo person's accounts through the popup, on a hydrated accounts page. */
export async function connectDemoAccounts(page: Page): Promise<void> {
  const popup = await openConnectPopup(page);
  await expect(popup.getByRole('heading', { name: `Continue as ${DEMO_PERSON}` })).toBeVisible();
  await answerDialogInPopup(popup, 'Continue');
  await expect(page.getByTestId('connect-outcome')).toContainText(CONNECTED);
  await expectDemoAccountsActive(page);
}

// ---- The Graph simulator's control API (src/sim/mod.rs) ----

type SimUser = { user_id: string; name: string; page_ids: string[]; signed_in: boolean };

export async function simUsers(request: APIRequestContext): Promise<SimUser[]> {
  const response = await request.get(`${SIM_URL}/_sim/users`);
  expect(response.status(), 'GET /_sim/users').toBe(200);
  return (await response.json()).data as SimUser[];
}

/** Makes `userId` the person signed in to the simulator's dialog. */
export async function simLogin(request: APIRequestContext, userId: string): Promise<void> {
  const response = await request.post(`${SIM_URL}/_sim/login`, { data: { user_id: userId } });
  expect(response.status(), `POST /_sim/login ${userId}`).toBe(204);
}

/** Makes the seeded demo person the dialog's signed-in user again. */
export async function simLoginDemoPerson(request: APIRequestContext): Promise<void> {
  const demo = (await simUsers(request)).find((u) => u.name === DEMO_PERSON);
  expect(demo, `the simulator has the seeded "${DEMO_PERSON}"`).toBeTruthy();
  if (!demo!.signed_in) {
    await simLogin(request, demo!.user_id);
  }
}

/** Creates a scenario user (`no_pages`, `no_instagram`, ...) with a unique suffix. */
export async function simScenario(
  request: APIRequestContext,
  name: string,
): Promise<{ user_id: string; name: string }> {
  const response = await request.post(`${SIM_URL}/_sim/scenarios/${name}`, {
    data: { suffix: randomId() },
  });
  expect(response.status(), `POST /_sim/scenarios/${name}`).toBe(201);
  return response.json();
}

type SimMedia = {
  id: string;
  ig_user_id: string;
  media_type: string;
  media_product_type: string;
  caption: string | null;
  permalink: string;
  children: string[] | null;
  published_at: string;
};

/** Everything the simulator has published (carousel items only as their album's `children`). */
export async function simMedia(request: APIRequestContext): Promise<SimMedia[]> {
  const response = await request.get(`${SIM_URL}/_sim/media`);
  expect(response.status(), 'GET /_sim/media').toBe(200);
  return (await response.json()).data as SimMedia[];
}
