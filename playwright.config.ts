import { defineConfig } from '@playwright/test';
import { BROWSER_HINT, findBrowser } from './scripts/find-browser';

// Flags that keep the browser off the (absent) network.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const browser = findBrowser();
// The config is loaded by the runner and again by each worker: say it once.
if (!browser && !process.env.GRAFT_BROWSER_HINT_SHOWN) {
  console.log(BROWSER_HINT);
  process.env.GRAFT_BROWSER_HINT_SHOWN = '1';
}

export default defineConfig({
  testDir: 'e2e/specs',
  // Without a browser only the Electron spec (which brings its own) can run.
  testIgnore: browser ? undefined : /^(?!.*electron\.spec\.ts$).*\.spec\.ts$/,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  workers: 1,
  reporter: [['list']],
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    channel: browser?.channel,
    launchOptions: {
      executablePath: browser?.executablePath,
      args: CHROMIUM_ARGS,
    },
  },
});
