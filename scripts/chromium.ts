import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sparticuz from '@sparticuz/chromium';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';
import { projectRoot } from '../src/paths.js';

const version = (JSON.parse(readFileSync(join(projectRoot, 'node_modules', '@sparticuz', 'chromium', 'package.json'), 'utf8')) as { version: string }).version;

/** Where the Chromium carried by @sparticuz/chromium is unpacked once per version, shared by test processes and scripts. */
const unpackedDir = join(tmpdir(), `common-ground-chromium-${version}`);

/**
 * Unpacks @sparticuz/chromium's browser (brotli inside the npm package, no download) into its own folder. The package
 * unpacks into os.tmpdir() and trusts any file it finds there, so parallel test processes could launch a half-written
 * binary: each process unpacks into a private folder and renames it into place, the first one winning.
 */
async function unpackedChromium(): Promise<string> {
  if (existsSync(join(unpackedDir, 'complete'))) return join(unpackedDir, 'chromium');
  const staging = mkdtempSync(`${unpackedDir}-`);
  const tmp = process.env.TMPDIR;
  process.env.TMPDIR = staging; // os.tmpdir() reads it on each call; the package has no other way to choose its folder
  try {
    await sparticuz.executablePath();
  } finally {
    if (tmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmp;
  }
  // The package's fonts.conf names /tmp/fonts; ours names the fonts where they now are (the same on every machine).
  const fonts = join(unpackedDir, 'fonts');
  writeFileSync(
    join(staging, 'fonts', 'fonts.conf'),
    `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig><dir>${fonts}/fonts</dir><cachedir>${fonts}/cache</cachedir></fontconfig>\n`,
  );
  writeFileSync(join(staging, 'complete'), '');
  try {
    renameSync(staging, unpackedDir);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another process got there first
  }
  return join(unpackedDir, 'chromium');
}

/** Launch options for headless Chromium: CHROMIUM_PATH when set, otherwise the one that arrives with npm install. */
export async function chromiumLaunchOptions(): Promise<LaunchOptions> {
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ];
  if (process.env.CHROMIUM_PATH) return { executablePath: process.env.CHROMIUM_PATH, headless: true, args: ['--headless', ...args] };
  const executablePath = await unpackedChromium();
  // The package's own flags (headless shell, no zygote) plus ours, without those that loosen the web's security model
  // (the tests check what a real browser enforces), and without --single-process: closing one browser context then
  // takes the whole browser down. Its fonts come with it.
  const loosening = ['--disable-web-security', '--allow-running-insecure-content', '--disable-site-isolation-trials', '--single-process'];
  return {
    executablePath,
    headless: true,
    args: [...sparticuz.args.filter((arg) => !loosening.includes(arg)), ...args],
    env: { ...process.env, FONTCONFIG_PATH: join(unpackedDir, 'fonts') },
  };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch(await chromiumLaunchOptions());
}
