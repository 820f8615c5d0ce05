/**
 * Headless Chromium for the web console's tests: Debian's /usr/bin/chromium driven by
 * playwright-core (never a browser download), a 1366×768 window that accepts the appliance's
 * self-signed certificate, and CSP reports from the page collected so a test can fail on them.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from './daemon.js';

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots (git-ignored: var/). */
export const ARTIFACTS = join(ROOT, 'var', 'artifacts', 'console');

/** Why the browser tests cannot run here, or null. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is absent (apt-get install chromium)`;
}

export interface ConsoleBrowser {
  readonly browser: Browser;
  readonly context: BrowserContext;
  /** CSP violations the pages reported on their console. */
  readonly cspViolations: string[];
  close(): Promise<void>;
}

export async function openBrowser(): Promise<ConsoleBrowser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--mute-audio'],
  });
  const first = await withContext(browser);
  return {
    ...first,
    close: async () => {
      await first.close();
      await browser.close();
    },
  };
}

/**
 * A second user in the same browser: its own context (own cookie jar), so two people can use
 * the console side by side. Closing it closes the context only.
 */
export function openContext(b: ConsoleBrowser): Promise<ConsoleBrowser> {
  return withContext(b.browser);
}

async function withContext(browser: Browser): Promise<ConsoleBrowser> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1366, height: 768 },
    acceptDownloads: true,
  });
  const cspViolations: string[] = [];
  context.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  return {
    browser,
    context,
    cspViolations,
    close: async () => {
      await context.close();
    },
  };
}

/** Logs in through the console's form; resolves on the search page. */
/** Closes a test's browser and fails the test if a page broke its own CSP meanwhile. */
export async function closeCheckingCsp(b: ConsoleBrowser | undefined): Promise<void> {
  const csp = b?.cspViolations.splice(0) ?? [];
  await b?.close();
  assert.deepEqual(csp, [], 'the page broke its own CSP');
}

export async function logIn(
  b: ConsoleBrowser,
  origin: string,
  name: string,
  password: string,
): Promise<Page> {
  const page = await b.context.newPage();
  await page.goto(`${origin}/`);
  await page.locator('#username').fill(name);
  await page.locator('#password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#search-title').waitFor({ timeout: 15_000 });
  return page;
}

export const screenshot = (page: Page, name: string): Promise<Buffer> =>
  page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
