import t from 'tap';
import { dateIn } from '../../src/dates.js';
import { changeVerdict } from '../../src/results/change-verdict.js';
import { staffSessions } from '../helper/admin.js';
import { buildDemoApp } from '../helper/demo.js';

const change = (estimate: number, half: number) => ({ estimate, se: half / 1.96, ci_low: estimate - half, ci_high: estimate + half, df: 100 });

t.test('a change verdict from its interval and minimum detectable change', async (t) => {
  t.same(changeVerdict(change(6, 4), 8), { kind: 'clear-rise', label: 'clear rise' });
  t.same(changeVerdict(change(-6, 4), 8), { kind: 'clear-fall', label: 'clear fall' });
  t.same(changeVerdict(change(2, 4), 10), { kind: 'no-clear-change', label: 'no clear change' }, 'a 10-point change would have been seen');
  t.same(changeVerdict(change(2, 9), 12.84), { kind: 'too-few', label: 'too few responses to tell a change smaller than 12.8 points' });
  t.equal(changeVerdict(change(20, 9), 12.84).kind, 'clear-rise', 'a clear change is clear however wide the detectable one');
  t.equal(changeVerdict(null, null).kind, 'too-few');
});

t.test('the results summary, and the one-page meeting brief per neighborhood', async (t) => {
  const { app } = await buildDemoApp(t, { seed: 3, asOf: dateIn('UTC'), dailyRate: 1.5 });
  const { asLiaison } = await staffSessions(app);

  const results = await asLiaison.get('/results');
  t.equal(results.statusCode, 200);
  const body = results.body;
  const summaryAt = body.indexOf('id="summary-title"');
  t.ok(summaryAt > 0, 'a summary');
  t.ok(summaryAt < body.indexOf('class="notice"'), 'above the opening-view sentence');
  t.ok(body.indexOf('class="notice"') < body.indexOf('<details class="filters-details"'), 'filters collapsed below');
  t.match(body, /City-wide now<\/strong> \(\d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}\): <strong>\d+\.\d<\/strong>/);
  const moved = body.match(/<ul class="moved-list"[\s\S]*?<\/ul>/)?.[0] ?? '';
  const items = moved.match(/<li>[\s\S]*?<\/li>/g) ?? [];
  t.equal(items.length, 3, 'three neighborhoods that moved most');
  for (const item of items) {
    t.match(item, /<a href="\/results\/[a-z-]+\?[^"]+">[^<]+<\/a>: <strong>[+−-]?\d+\.\d<\/strong>/, 'each links to its page with its change');
    t.match(item, /clear rise|clear fall|no clear change|too few responses to tell a change smaller than \d+(\.\d)? points/, 'and its verdict');
  }
  const broken = await asLiaison.get('/results?bucket=day');
  t.equal(broken.statusCode, 400);
  t.match(broken.body, /<details class="filters-details" open>/, 'with an error the filters are open');

  const page = await asLiaison.get('/results/riverside?rolling=3');
  t.match(page.body, '<a href="/results/riverside/brief?rolling&#x3D;3">Meeting brief (one page, printable)</a>', 'linked, keeping the filters');

  const brief = await asLiaison.get('/results/riverside/brief?rolling=3');
  t.equal(brief.statusCode, 200);
  t.match(brief.body, '<h1>Riverside: meeting brief</h1>');
  t.match(brief.body, /Trust index now and its trend/);
  t.equal((brief.body.match(/<table class="brief-table">[\s\S]*?<\/table>/)![0].match(/<tr>/g) ?? []).length, 7, 'header and the last six periods');
  t.match(brief.body, 'What moved');
  t.match(
    brief.body,
    /Cookout with officers at Riverside Park<\/strong> \(\d{4}-\d{2}-\d{2}, [^)]+\): (Clear rise|Clear fall|No clear change|Too few)/,
    'events with verdicts',
  );
  t.ok((brief.body.match(/<ul class="brief-events">[\s\S]*?<\/ul>/)![0].match(/<li>/g) ?? []).length <= 3, 'at most three events');
  t.match(brief.body, 'What residents name as the number one issue');
  t.notMatch(brief.body, 'class="filters', 'no filters on the brief');

  t.equal((await asLiaison.get('/results/nowhere/brief')).statusCode, 404);
  t.equal((await asLiaison.get('/results/riverside/brief?bucket=day')).statusCode, 400);
  const anonymous = await app.inject('/results/riverside/brief');
  t.not(anonymous.statusCode, 200, 'staff only');
});
