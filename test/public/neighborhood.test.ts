import t from 'tap';
import { dateIn } from '../../src/dates.js';
import { comparisonSentence } from '../../src/public/view.js';
import { suppressedCell, type Cell } from '../../src/stats/cells.js';
import { buildDemoApp } from '../helper/demo.js';

const cell = (mean: number, half: number): Cell => ({
  n: 100,
  mean,
  sd: 20,
  se: half / 2,
  ci_low: mean - half,
  ci_high: mean + half,
  suppressed: false,
  low_reliability: false,
  weighted: false,
  n_eff: null,
});

t.test('the comparison sentence says higher or lower only when the interval leaves out the city figure', async (t) => {
  t.equal(
    comparisonSentence('en', 'Riverside', cell(58, 4), cell(52, 1)),
    'In Riverside, trust in police is 58 out of 100 (between 54 and 62), higher than the city as a whole (52).',
  );
  t.match(comparisonSentence('en', 'Riverside', cell(45, 4), cell(52, 1)), 'lower than the city as a whole (52).');
  t.match(comparisonSentence('en', 'Riverside', cell(54, 4), cell(52, 1)), 'about the same as the city as a whole (52).');
  t.equal(comparisonSentence('en', 'Riverside', cell(54, 4), suppressedCell), 'In Riverside, trust in police is 54 out of 100 (between 50 and 58).');
  t.equal(
    comparisonSentence('en', 'Riverside', suppressedCell, cell(52, 1)),
    'In Riverside, there are not enough answers yet to give a trust score for the latest period.',
  );
  t.equal(
    comparisonSentence('es', 'Riverside', cell(58, 4), cell(52, 1)),
    'En Riverside, la confianza en la policía es de 58 sobre 100 (entre 54 y 62), más alta que en la ciudad en su conjunto (52).',
  );
});

/** A demo city, smaller than the full demo. */
const city = { seed: 3, asOf: dateIn('UTC'), dailyRate: 1.5 };

const chartOf = (body: string) => JSON.parse(/id="public-trend-data"[^>]*>([^<]*)<\/script>/.exec(body)![1]);
const sentence = /<p class="comparison-summary"><strong>([^<]*)<\/strong><\/p>/;

t.test('a visitor compares their neighborhood with the city, in English and Spanish, without JavaScript', async (t) => {
  const { app } = await buildDemoApp(t, city);

  const all = await app.inject('/public/community-trust');
  t.match(all.body, '<select id="neighborhood" name="neighborhood">', 'a GET form to choose');
  t.match(all.body, '<option value="riverside">Riverside</option>');
  t.equal(chartOf(all.body).trends.series.length, 9, 'no choice: every neighborhood');
  t.notMatch(all.body, 'comparison-summary');

  const res = await app.inject('/public/community-trust?neighborhood=riverside&lang=en');
  t.equal(res.statusCode, 200);
  t.same(
    chartOf(res.body).trends.series.map((s: { area: string }) => s.area),
    ['city', 'riverside'],
    'the chart shows the city and the neighborhood',
  );
  t.match(res.body, '<option value="riverside" selected>Riverside</option>');
  const head = (name: string) => res.body.match(new RegExp(`<table${name}>[\\s\\S]*?</thead>`))![0];
  t.equal((head(' class="trend-table"').match(/<th scope="col">/g) ?? []).length, 3, 'the trend table: period, city, neighborhood');
  const dimensions = res.body.match(/id="dimensions-title"[\s\S]*?<\/tbody>/)![0];
  t.equal((dimensions.match(/<th scope="row">/g) ?? []).length, 2, 'the dimensions table: city and neighborhood');
  t.match(
    res.body.match(sentence)?.[1],
    /^In Riverside, trust in police is \d+ out of 100 \(between \d+ and \d+\), (higher than|lower than|about the same as) the city as a whole \(\d+\)\.$/,
  );

  const es = await app.inject('/public/community-trust?neighborhood=riverside&lang=es');
  t.match(
    es.body.match(sentence)?.[1],
    /^En Riverside, la confianza en la policía es de \d+ sobre 100 \(entre \d+ y \d+\), (más alta que en|más baja que en|parecida a la de) la ciudad en su conjunto \(\d+\)\.$/,
    'the Spanish summary',
  );
  t.match(es.body, '<label for="neighborhood">Su barrio</label>');

  const unknown = await app.inject('/public/community-trust?neighborhood=atlantis');
  t.equal(unknown.statusCode, 200, 'an unknown neighborhood is ignored');
  t.match(unknown.body, 'We do not know that neighborhood, so every neighborhood is shown.');
  t.equal(chartOf(unknown.body).trends.series.length, 9);
  for (const url of [
    '?neighborhood=city',
    '?neighborhood=riverside&neighborhood=eastwood',
    '?neighborhood[a]=1',
    `?neighborhood=${'x'.repeat(5000)}`,
    '?neighborhood=',
  ]) {
    const r = await app.inject(`/public/community-trust${url}`);
    t.equal(r.statusCode, 200, `${url.slice(0, 60)}: never a 500`);
  }
  t.notMatch((await app.inject('/public/community-trust?neighborhood=')).body, 'We do not know', 'the empty choice is "all"');
  const embed = await app.inject('/public/community-trust/embed?neighborhood=riverside');
  t.equal(chartOf(embed.body).trends.series.length, 2, 'the embed takes the same choice');
});

t.test('only shown figures go into the sentence: not enough answers yet otherwise', async (t) => {
  const { app } = await buildDemoApp(t, city, { env: { MIN_GROUP_SIZE: '100', MIN_RELIABLE_SIZE: '5000', LOW_RELIABILITY_SIZE: '6000' } });
  const res = await app.inject('/public/community-trust?neighborhood=riverside&bucket=quarter&rolling=1');
  t.match(res.body.match(sentence)?.[1], 'In Riverside, there are not enough answers yet to give a trust score for the latest period.');
});
