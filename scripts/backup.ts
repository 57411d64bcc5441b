import { existsSync } from 'node:fs';
import { loadConfig } from '../src/config.js';
import { backupDatabase } from '../src/db/sqlite/backup.js';

// `npm run backup -- <file>`: an online, consistent copy of the SQLite file at DATABASE_PATH, safe while the server is serving.
const destination = process.argv[2];
if (!destination) {
  console.error('Usage: npm run backup -- <destination file>');
  process.exit(2);
}
if (existsSync(destination)) {
  console.error(`${destination} already exists; choose a new file name.`);
  process.exit(2);
}
const config = loadConfig();
const started = Date.now();
const { totalPages } = await backupDatabase(config.DATABASE_PATH, destination);
console.log(`Backed up ${config.DATABASE_PATH} to ${destination} (${totalPages} pages) in ${Date.now() - started} ms.`);
