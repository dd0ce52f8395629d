// Where the suite finds the app and the demo's Graph simulator. The defaults are the addresses
// `scripts/end2end` (`cargo leptos end-to-end` in demo mode) serves on. Override both to test a
// server started on other ports, e.g. LEPTOS_SITE_ADDR=127.0.0.1:8197 SIMULATOR_ADDR=127.0.0.1:8198
// INSTAGRAM_REDIRECT_URI=http://localhost:8197/api/instagram/oauth/callback, then
// E2E_BASE_URL=http://localhost:8197 E2E_SIM_URL=http://127.0.0.1:8198 npx playwright test.

/** The page's configured origin (the origin of INSTAGRAM_REDIRECT_URI): cookies and the popup's
 * postMessage belong to it, and the server redirects page loads from 127.0.0.1 to it. */
export const BASE_URL = (process.env.E2E_BASE_URL ?? 'http://localhost:8097').replace(/\/$/, '');

/** The Graph simulator (Facebook's dialog and the Graph API, plus its `/_sim` control API). */
export const SIM_URL = (process.env.E2E_SIM_URL ?? 'http://127.0.0.1:8098').replace(/\/$/, '');

/** The health check Playwright waits for: on 127.0.0.1, which the server listens on. */
export const HEALTH_URL = `${BASE_URL.replace('//localhost:', '//127.0.0.1:')}/healthz`;

/** The JWT secret `scripts/end2end` gives the server, so tests can act as the platform's server. */
export const JWT_SECRET = process.env.E2E_JWT_SECRET ?? 'end-to-end-test-secret-0123456789abcdefghij';

/** The platform's page origin `scripts/end2end` allow-lists (`PLATFORM_ORIGINS`). */
export const PLATFORM_ORIGIN = 'http://platform.test';
