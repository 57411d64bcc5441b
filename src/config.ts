import { z } from 'zod';

const booleanFlag = z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']).transform((v) => ['true', '1', 'yes', 'on'].includes(v));

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
  TIME_ZONE: z.string().refine(isTimeZone, 'must be an IANA time zone name such as America/Chicago').default('UTC'),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  TRUST_PROXY: booleanFlag.default(false),
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
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Cost of scrypt as log2(N); OWASP's 2^17 in production, tests may lower it.
  PASSWORD_HASH_COST: z.coerce.number().int().min(10).max(20).default(17),
  NODE_ENV: z.string().default('development'),
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

/** Reads the configuration from environment variables; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const relevant = Object.fromEntries(Object.keys(envShape.shape).flatMap((key) => (env[key] === undefined || env[key] === '' ? [] : [[key, env[key]]])));
  const parsed = configSchema.safeParse(relevant);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message} (got ${JSON.stringify(relevant[String(i.path[0])])})`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
