/**
 * Child process for the kill -9 test: opens storage and writes users (each with its audit
 * entry) one after another, printing `ack <name>` only after a write returned. The parent kills
 * it with SIGKILL at a random moment and checks that every acknowledged write survived.
 * Usage: tsx durable-writer.ts STORAGE_DIR MASTER_KEY_FILE PASSWORD_HASH
 */
import { silentLogger } from '../../agent/src/common/index.js';
import { loadConfig } from '../../agent/src/config/index.js';
import { openStorage } from '../../agent/src/storage/index.js';
import { DEV_CONFIG } from './daemon.js';

const [dir, keyFile, passwordHash] = process.argv.slice(2) as [string, string, string];
const config = loadConfig({
  file: DEV_CONFIG,
  sets: [`storage.dir=${dir}`, `keys.master_key_file=${keyFile}`],
});
const storage = await openStorage({ config, log: silentLogger() });
process.stdout.write('ready\n');
for (let i = 0; i < 100_000; i++) {
  const username = `u${i}`;
  await storage.index.putUser(
    {
      username,
      role: 'supervisor',
      agentId: null,
      passwordHash,
      createdAt: new Date().toISOString(),
      disabled: false,
    },
    { actor: 'cli:test', role: 'admin', action: 'user_add', from: 'cli', detail: { username } },
  );
  process.stdout.write(`ack ${username}\n`);
}
