import { defineConfig } from '@playwright/test';

import { BASE_URL, HEALTH_URL } from './env';

// Run by `cargo leptos end-to-end` (see ../scripts/end2end), which builds the app, starts the
// server in demo mode and then runs `npx playwright test` here without waiting for the port.
// The browser is Debian's Chromium: never run `npx playwright install` (it downloads a browser,
// which this network does not allow).

const CI = !!process.env.CI;

export default defineConfig({
  testDir: './tests',
  // The tests share the one demo simulator and change who is signed in to its dialog.
  fullyParallel: false,
  workers: 1,
  forbidOnly: CI,
  retries: CI ? 1 : 0,
  reporter: 'list',
  // Sized for a 2-core machine running the server, a debug build's wasm and Chromium at once.
  timeout: 60_000,
  expect: { timeout: 15_000 },
  // Never let CI hang.
  globalTimeout: 10 * 60_000,
  outputDir: './test-results',

  use: {
    baseURL: BASE_URL,
    headless: true,
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },

  projects: [
    {
      name: 'chromium',
      use: { browserName: 'chromium', viewport: { width: 1280, height: 800 } },
    },
  ],

  // cargo-leptos has already started the server (or is about to): only wait for it. When the
  // health check answers at once, Playwright reuses the server and never runs the command; when
  // it does not, the command just waits until the server answers (or the timeout ends the run).
  webServer: {
    command:
      'node -e "console.log(\'Waiting for the server that cargo leptos started on ' +
      HEALTH_URL +
      '\'); setInterval(() => {}, 1000)"',
    url: HEALTH_URL,
    reuseExistingServer: true,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
