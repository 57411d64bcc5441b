import { parseArgs } from 'node:util';
import { z } from 'zod';
import { MIN_PASSWORD_LENGTH } from '../src/auth/routes.js';
import { hashPassword } from '../src/auth/passwords.js';
import { createStaffRepository } from '../src/auth/staff-repository.js';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/db/open.js';
import { staffRoles } from '../src/db/schema.js';

const usage = `Usage:
  npm run user -- add --email EMAIL --role admin|liaison     (password read from standard input)
  npm run user -- reset-password --email EMAIL               (password read from standard input)`;

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password (input is shown; pipe it in to hide it): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (process.stdin.isTTY && chunk.includes(10)) break;
  }
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0];
}

const args = parseArgs({ allowPositionals: true, options: { email: { type: 'string' }, role: { type: 'string' } } });
const command = args.positionals[0];
const email = z.email().safeParse(args.values.email?.trim().toLowerCase());
if (!['add', 'reset-password'].includes(command ?? '') || !email.success) {
  console.error(`${email.success ? '' : 'A valid --email is required.\n'}${usage}`);
  process.exit(2);
}
const role = z.enum(staffRoles).safeParse(args.values.role);
if (command === 'add' && !role.success) {
  console.error(`--role must be admin or liaison.\n${usage}`);
  process.exit(2);
}

const config = loadConfig();
const password = await readPassword();
if (password.length < MIN_PASSWORD_LENGTH) {
  console.error(`The password must have at least ${MIN_PASSWORD_LENGTH} characters.`);
  process.exit(2);
}
const store = await openStore(config);
const staff = createStaffRepository(store);
const passwordHash = await hashPassword(password, config.PASSWORD_HASH_COST);
const existing = await staff.findByEmail(email.data);
if (command === 'add') {
  if (existing) {
    console.error(`A staff account for ${email.data} already exists.`);
    process.exit(1);
  }
  await staff.create(email.data, passwordHash, role.data!);
  console.log(`Created ${role.data} ${email.data}.`);
} else {
  if (!existing) {
    console.error(`No staff account for ${email.data}.`);
    process.exit(1);
  }
  await staff.setPassword(existing.id, passwordHash);
  console.log(`Password changed for ${email.data}; their sessions were ended.`);
}
await store.close();
