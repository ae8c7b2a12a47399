import { existsSync } from 'node:fs';
import type { Page } from 'puppeteer-core';

/** A Chromium to test web pages in: `CHROME_PATH`, or where Debian and others install it. CI always has one. */
export const CHROMIUM = [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(
  (p): p is string => !!p && existsSync(p),
);

/** Browser tests run where Chromium is, and always in CI (where a missing one is an error, not a skip). */
export const browserTests = !!CHROMIUM || !!process.env.CI;

/** Runs `fn` with a fresh page of a headless Chromium, closed afterwards. */
export async function withPage<T>(fn: (page: Page) => Promise<T>): Promise<T> {
  if (!CHROMIUM) throw new Error('no Chromium found: install it (apt-get install chromium) or set CHROME_PATH');
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    return await fn(await browser.newPage());
  } finally {
    await browser.close();
  }
}
