import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { dateIn } from '../src/dates.js';
import { openStore } from '../src/db/open.js';
import { demoStaff, generateDemo } from '../src/demo/generate.js';
import { projectRoot } from '../src/paths.js';
import { launchChromium } from './chromium.js';

// `npm run docs:screenshots`: the demo city on a temporary database, photographed as each kind of user sees it.
const dir = mkdtempSync(join(tmpdir(), 'cg-screenshots-'));
const out = join(projectRoot, 'docs', 'screenshots');
mkdirSync(out, { recursive: true });
const config = loadConfig({ DATABASE_PATH: join(dir, 'demo.db'), LOG_LEVEL: 'silent', PASSWORD_HASH_COST: '10' });
const store = await openStore(config);
const liaison = demoStaff.find((s) => s.role === 'liaison')!;
try {
  await generateDemo(store, { seed: 2026, asOf: dateIn(config.TIME_ZONE), passwordCost: config.PASSWORD_HASH_COST, timeZone: config.TIME_ZONE });
  const app = await buildApp({ config, store });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchChromium();
  try {
    // Each shot scrolls to what that user came for: the first questions, the public chart, the liaison's chart.
    const shots = [
      { file: 'resident-phone.png', viewport: { width: 360, height: 740 }, path: '/surveys/community-trust', scrollTo: 'fieldset', staff: false },
      { file: 'public-page.png', viewport: { width: 1100, height: 900 }, path: '/public/community-trust', scrollTo: 'h1', staff: false },
      { file: 'liaison-results.png', viewport: { width: 1100, height: 900 }, path: '/results', scrollTo: 'figure', staff: true },
    ];
    // One page throughout: the packaged Chromium runs as a single process, which a closed context can take down.
    const page = await browser.newPage({ deviceScaleFactor: 1 });
    for (const shot of shots) {
      await page.setViewportSize(shot.viewport);
      if (shot.staff) {
        await page.goto(`${base}/login`);
        await page.getByLabel('Email').fill(liaison.email);
        await page.getByLabel('Password').fill(liaison.password);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.waitForURL((url) => !url.pathname.startsWith('/login'));
      }
      await page.goto(`${base}${shot.path}`);
      await page.waitForLoadState('networkidle');
      await page
        .locator(shot.scrollTo)
        .first()
        .evaluate((element) => element.scrollIntoView({ block: 'start' }));
      const file = join(out, shot.file);
      await page.screenshot({ path: file, type: 'png' });
      console.log(`${file} (${Math.round(statSync(file).size / 1024)} KB)`);
    }
  } finally {
    await browser.close();
    await app.close();
  }
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
