/** Headless Debian Chromium driven by playwright-core (which gives each launch a fresh temporary profile). */
import { chromium, Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { waitFor } from './process';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A 1366×768 browser window (the smallest screen the console is made for). */
export function laptopContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
}

/** Logs in through the console's form; resolves on the overview. */
export async function logIn(page: Page, base: string, role: 'viewer' | 'admin', password: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.selectOption('select[name=role]', role);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);
}

/** Waits until the image is loaded and drawn (natural width > 0), scrolled into view. */
export async function waitForPicture(picture: Locator, timeoutMs = 30_000): Promise<void> {
  await picture.scrollIntoViewIfNeeded();
  const width = () =>
    picture.evaluate((img) => {
      const i = img as unknown as { complete: boolean; naturalWidth: number };
      return i.complete ? i.naturalWidth : 0;
    });
  await waitFor('the picture', async () => ((await width()) > 0 ? true : undefined), timeoutMs);
}
