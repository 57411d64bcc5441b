import fastifyView from '@fastify/view';
import { readdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import Handlebars from 'handlebars';
import { numberFormat } from '../dates.js';
import type { MessageKey } from '../i18n/en.js';
import { localize, translate } from '../i18n/index.js';
import { viewsFolder } from '../paths.js';

const partials = [
  'detectable-cell',
  'release-rules',
  'public-cell',
  'public-trust',
  'head',
  'header',
  'footer',
  'error-summary',
  'field-error',
  'scale-question',
  'choice-question',
  'text-question',
  'form-field',
  'admin-nav',
  'staff-error-summary',
  'survey-texts',
  'stat-cell',
  'change-cell',
  'results-filters',
  'weighting-note',
  'sample-note',
];

/** Handlebars views: one layout, small partials, and two helpers for translated text. */
export const viewsPlugin = fp(async (app: FastifyInstance) => {
  const handlebars = Handlebars.create();
  handlebars.registerHelper('t', function (key: MessageKey, options: Handlebars.HelperOptions) {
    return translate(options.data.root.lang ?? 'en', key, options.hash);
  });
  handlebars.registerHelper('loc', function (text: Record<string, string> | undefined, options: Handlebars.HelperOptions) {
    return localize(text, options.data.root.lang ?? 'en');
  });
  handlebars.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).join(''));
  handlebars.registerHelper('json', function (value: unknown) {
    // For <script type="application/json"> data blocks: escape "<" so no "</script>" can close the block early.
    return new Handlebars.SafeString(JSON.stringify(value ?? null).replace(/</g, '\\u003c'));
  });

  // Figures on pages: one decimal, and a sign on differences so a fall is never read as a level.
  // One decimal in the page's language (62.4 in English, 62,4 in Spanish).
  handlebars.registerHelper('decimal', function (value: number | null | undefined, options: Handlebars.HelperOptions) {
    if (typeof value !== 'number') return '';
    return numberFormat(options.data.root.lang ?? 'en', { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(value);
  });
  handlebars.registerHelper('fixed', (value: number | null | undefined) => (typeof value === 'number' ? value.toFixed(1) : ''));
  handlebars.registerHelper('signed', (value: number | null | undefined) => {
    if (typeof value !== 'number') return '';
    const shown = Math.abs(value).toFixed(1);
    return `${shown === '0.0' ? '±' : value > 0 ? '+' : '−'}${shown}`;
  });

  await app.register(fastifyView, {
    engine: { handlebars },
    root: viewsFolder,
    layout: 'layouts/main.hbs',
    viewExt: 'hbs',
    // Templates compile once, except in development, where an edited template shows on the next request.
    production: app.config.NODE_ENV !== 'development',
    options: { partials: Object.fromEntries(partials.map((p) => [p, `partials/${p}.hbs`])) },
  });

  // Handlebars compiles a template when it is first rendered: at 300 neighborhoods a page's first view held the event
  // loop (and every resident's submission) for up to 0.9 s. In production every page is rendered once before the server
  // listens, so each is compiled and cached then; with no data some fail to render, which is all right, as they compiled.
  if (app.config.NODE_ENV === 'production') {
    app.addHook('onReady', async () => {
      const pages = readdirSync(viewsFolder, { recursive: true, encoding: 'utf8' }).filter(
        (file) => file.endsWith('.hbs') && !file.startsWith('partials/') && !file.startsWith('layouts/'),
      );
      for (const page of pages) await app.view(page, { lang: 'en' }).catch(() => {});
    });
  }
});
