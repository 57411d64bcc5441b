import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Walk up to package.json so paths work both from src/ (tests) and dist/src/ (production).
function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

export const projectRoot = findProjectRoot();
export const migrationsFolder = join(projectRoot, 'drizzle');
export const pgMigrationsFolder = join(projectRoot, 'drizzle-pg');
export const viewsFolder = join(projectRoot, 'views');
export const staticFolder = join(projectRoot, 'static');
export const chartVendorFolders = [
  join(projectRoot, 'node_modules', 'chart.js', 'dist'),
  join(projectRoot, 'node_modules', 'chartjs-plugin-annotation', 'dist'),
];
