import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser } from 'playwright-core';
import { launchChromium } from '../../scripts/chromium.js';
import { projectRoot } from '../../src/paths.js';

export const artifactsDir = join(projectRoot, 'test', 'artifacts');

/** Headless Chromium from @sparticuz/chromium (or CHROMIUM_PATH), closed when the test ends. A launch failure fails the test. */
export async function launchBrowser(t: { teardown(fn: () => unknown): void }): Promise<Browser> {
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  mkdirSync(artifactsDir, { recursive: true });
  return browser;
}
