import { existsSync } from 'node:fs';

/**
 * The browser the end-to-end tests drive (headless, through playwright-core): Debian's chromium by
 * default, or `CHROMIUM_PATH` (e.g. a Chrome elsewhere). Nothing downloads a browser.
 */
export const CHROMIUM = process.env['CHROMIUM_PATH'] || '/usr/bin/chromium';

/** Throws, with how to install it, when the browser is not there. */
export function assertChromiumInstalled(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (sudo apt-get install chromium; .ci/run does) or set CHROMIUM_PATH`);
  }
}
