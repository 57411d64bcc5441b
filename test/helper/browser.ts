import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext } from 'playwright-core';
import tap from 'tap';
import { launchChromium } from '../../scripts/chromium.js';
import { projectRoot } from '../../src/paths.js';

export const artifactsDir = join(projectRoot, 'test', 'artifacts');

let shared: Promise<Browser> | undefined;

/**
 * Headless Chromium from @sparticuz/chromium (or CHROMIUM_PATH), one per test process: each test gets its own contexts
 * (cookies, storage, service workers, clock), which are closed when it ends. A launch failure fails the test.
 */
export async function launchBrowser(t: { teardown(fn: () => unknown): void }): Promise<Browser> {
  shared ??= launchChromium().then((browser) => {
    tap.teardown(() => browser.close());
    return browser;
  });
  const browser = await shared;
  const before = new Set<BrowserContext>(browser.contexts());
  t.teardown(() => Promise.all(browser.contexts().flatMap((context) => (before.has(context) ? [] : [context.close()]))));
  mkdirSync(artifactsDir, { recursive: true });
  return browser;
}
