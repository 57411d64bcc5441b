import { defineConfig } from 'drizzle-kit';

// PostgreSQL's schema and migrations, beside SQLite's (drizzle.config.ts): Drizzle has no schema shared between dialects.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/pg/schema.ts',
  out: './drizzle-pg',
});
