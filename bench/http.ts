/** Cookies from a response merged over earlier ones, as a `cookie` header value. */
function mergeCookies(previous: string, response: Response): string {
  const jar = new Map(
    previous
      .split('; ')
      .filter(Boolean)
      .map((c) => [c.split('=')[0], c] as const),
  );
  for (const header of response.headers.getSetCookie()) {
    const pair = header.split(';')[0];
    jar.set(pair.split('=')[0], pair);
  }
  return [...jar.values()].join('; ');
}

/** Logs a staff member in through the login form (CSRF token included); resolves with the session cookie header. */
export async function staffLogin(baseUrl: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${baseUrl}/login`);
  const html = await page.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!csrf) throw new Error(`no CSRF token on /login (status ${page.status})`);
  let cookie = mergeCookies('', page);
  const res = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ email, password, _csrf: csrf }).toString(),
    redirect: 'manual',
  });
  await res.arrayBuffer();
  if (res.status >= 400) throw new Error(`login failed with status ${res.status}`);
  cookie = mergeCookies(cookie, res);
  if (!cookie.includes('cg_session=')) throw new Error('login set no cg_session cookie');
  return cookie;
}

/** The session's CSRF token, which staff GET exports carry like the app's export form does. */
export async function staffCsrfToken(baseUrl: string, cookie: string): Promise<string> {
  const html = await (await fetch(`${baseUrl}/account/password`, { headers: { cookie } })).text();
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error('no CSRF token on /account/password');
  return token;
}

export interface LatencyResult {
  available: boolean;
  status?: number;
  p50?: number;
  p95?: number;
  bytes?: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/**
 * p50/p95 of `count` sequential GETs after a warm-up; a 404 means the route is not in this build. `before` runs
 * untimed before each timed GET (a submission, to measure cold caches).
 */
export async function measureLatency(url: string, cookie: string, count: number, warmup = 10, before?: () => Promise<void>): Promise<LatencyResult> {
  const get = async () => {
    const res = await fetch(url, { headers: { cookie }, redirect: 'manual' });
    const body = await res.arrayBuffer();
    return { status: res.status, bytes: body.byteLength };
  };
  const first = await get();
  if (first.status === 404) return { available: false, status: 404 };
  if (first.status !== 200) throw new Error(`${url} answered ${first.status}`);
  for (let i = 0; i < warmup; i++) await get();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    await before?.();
    const started = performance.now();
    const { status } = await get();
    times.push(performance.now() - started);
    if (status !== 200) throw new Error(`${url} answered ${status}`);
  }
  times.sort((a, b) => a - b);
  return { available: true, status: 200, p50: percentile(times, 0.5), p95: percentile(times, 0.95), bytes: first.bytes };
}

/** Streams a response body, counting lines; resolves with the line count. */
export async function countLines(body: ReadableStream<Uint8Array>): Promise<number> {
  let lines = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return lines;
}
