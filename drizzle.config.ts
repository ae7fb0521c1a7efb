import { defineConfig } from 'drizzle-kit';

// `casing` must match the runtime drizzle() call in src/db/client.ts.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema.ts',
  out: './drizzle',
  casing: 'snake_case',
});
