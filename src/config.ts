import { isIP } from 'node:net';
import { z } from 'zod';

const TRUST_PROXY_FORMS = 'the number of proxies in front of the server (e.g. 1) or their addresses/CIDRs (e.g. 10.0.0.1,10.0.0.0/8)';
// proxy-addr's names for whole ranges, which Fastify's trustProxy accepts beside addresses and CIDRs.
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (!version || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128));
}

/**
 * false, a hop count, or the proxies' addresses, as Fastify's trustProxy takes them. `true` is refused: it trusts the
 * leftmost X-Forwarded-For, which any client writes, so rotating it would dodge every per-client limit.
 */
const trustProxy = z.string().transform((value, ctx): false | number | string[] => {
  const v = value.trim().toLowerCase();
  if (['false', 'no', 'off', '0'].includes(v)) return false;
  if (['true', 'yes', 'on'].includes(v)) {
    ctx.addIssue({ code: 'custom', message: `"true" would let any client choose its address; give ${TRUST_PROXY_FORMS}` });
    return z.NEVER;
  }
  if (/^\d{1,2}$/.test(v)) return Number(v);
  const entries = v.split(',').map((e) => e.trim());
  if (entries.every(isProxyAddress)) return entries;
  ctx.addIssue({ code: 'custom', message: `must be false, ${TRUST_PROXY_FORMS}` });
  return z.NEVER;
});

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const envShape = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_PATH: z.string().min(1).default('./data/commonground.db'),
  // PostgreSQL instead of the SQLite file at DATABASE_PATH.
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a PostgreSQL URL such as postgres://user:password@host:5432/commonground')
    .refine((v) => URL.canParse(v), 'is not a valid URL')
    .optional(),
  TIME_ZONE: z.string().refine(isTimeZone, 'must be an IANA time zone name such as America/Chicago').default('UTC'),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  TRUST_PROXY: trustProxy.default(false),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SUBMIT_RATE_LIMIT: z.coerce.number().int().positive().default(20),
  LOGIN_RATE_LIMIT: z.coerce.number().int().positive().default(10),
  // The privacy floor (CDC WONDER, UK GP Patient Survey): no released figure describes fewer responses.
  MIN_GROUP_SIZE: z.coerce.number().int().min(5, 'must be at least 5').default(10),
  // The reliability threshold (NCHS): means and shares need this many responses.
  MIN_RELIABLE_SIZE: z.coerce.number().int().min(2).default(30),
  LOW_RELIABILITY_SIZE: z.coerce.number().int().min(1).default(60),
  // Replaced by MIN_GROUP_SIZE and MIN_RELIABLE_SIZE; a value left in a deployment's environment stops start-up.
  MIN_CELL_SIZE: z
    .string()
    .optional()
    .refine((v) => v === undefined, 'is no longer used: set MIN_GROUP_SIZE (privacy floor, default 10) and MIN_RELIABLE_SIZE (reliability, default 30)'),
  // Seconds between passes that re-weigh the neighborhood-years written to since (0: only when asked, as tests do).
  WEIGHTING_INTERVAL: z.coerce.number().int().min(0).max(86400).default(10),
  // Rows of month sums read into the figures' cache at start, newest first (0: none, as tests do); it keeps 400,000.
  READ_AHEAD_ROWS: z.coerce.number().int().min(0).max(300_000).default(300_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Cost of scrypt as log2(N); OWASP's 2^17 in production, tests may lower it.
  PASSWORD_HASH_COST: z.coerce.number().int().min(10).max(20).default(17),
  NODE_ENV: z.string().default('development'),
  // Seconds a client has to send a whole request (headers and body); also how long a silent connection is kept.
  REQUEST_TIMEOUT: z.coerce.number().int().min(1).max(3600).default(60),
  // Seconds SIGTERM waits for in-flight requests before closing their connections (queued submissions still commit).
  SHUTDOWN_TIMEOUT: z.coerce.number().int().min(1).max(3600).default(10),
  // Origins (scheme://host[:port], comma-separated) allowed to frame the public embed; none by default.
  EMBED_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^https?:\/\/[a-z0-9.-]+(:\d+)?$/i, 'must be a comma-separated list of origins such as https://city.example.gov'))),
});

export const configSchema = envShape
  .refine((c) => c.MIN_RELIABLE_SIZE >= c.MIN_GROUP_SIZE, {
    path: ['MIN_RELIABLE_SIZE'],
    message: 'must be at least MIN_GROUP_SIZE',
  })
  .refine((c) => c.LOW_RELIABILITY_SIZE >= c.MIN_RELIABLE_SIZE, {
    path: ['LOW_RELIABILITY_SIZE'],
    message: 'must be at least MIN_RELIABLE_SIZE',
  })
  .transform((c) => ({
    ...c,
    PUBLIC_URL: c.PUBLIC_URL ?? `http://${c.HOST === '0.0.0.0' ? 'localhost' : c.HOST}:${c.PORT}`,
  }));

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

// Values never echoed in an error message (they end up in logs): a database URL carries its password.
const SECRETS = new Set(['SESSION_SECRET', 'DATABASE_URL']);

/** Reads the configuration from environment variables; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const relevant = Object.fromEntries(Object.keys(envShape.shape).flatMap((key) => (env[key] === undefined || env[key] === '' ? [] : [[key, env[key]]])));
  const parsed = configSchema.safeParse(relevant);
  if (!parsed.success) {
    const shown = (key: string) => (SECRETS.has(key) ? 'a value not shown here' : JSON.stringify(relevant[key]));
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message} (got ${shown(String(i.path[0]))})`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
