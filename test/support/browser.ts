/** Headless Debian Chromium driven by playwright-core (which gives each launch a fresh temporary profile). */
import { chromium, Browser, BrowserContext, Page } from 'playwright-core';

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
