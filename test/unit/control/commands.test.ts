/**
 * control/commands.ts + handlers.ts: one typed table (ControlHandlers) serves the daemon's
 * socket and the CLI's local runs. Real storage on disk, a real control socket.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../agent/src/config/index.js';
import { silentLogger } from '../../../agent/src/common/index.js';
import { openStorage, type Storage } from '../../../agent/src/storage/index.js';
import {
  callCommand,
  controlHandlers,
  createControlServer,
  storageHandlers,
  tryConnect,
  type CommandName,
  type ControlServer,
} from '../../../agent/src/control/index.js';
import { DEV_CONFIG } from '../../helpers/daemon.js';

/** The commands of ARCHITECTURE ✦ Commands that run through the control socket. */
const EXPECTED: readonly CommandName[] = [
  'status',
  'import',
  'export',
  'verify',
  'recordings.search',
  'recordings.show',
  'keys.rotate',
  'index.rebuild',
  'audit.verify',
  'audit.list',
  'retention.run',
  'hold.set',
  'hold.release',
  'restrict.set',
  'restrict.release',
  'case.link',
  'case.close',
  'case.reopen',
  'consent.withdraw',
  'dsar.export',
  'users.add',
  'users.list',
  'users.disable',
  'users.enable',
  'users.remove',
  'users.totp',
  'users.passwd',
  'erase',
  'rectify',
  'grant.add',
  'grant.list',
  'grant.revoke',
  'training-copy',
];

describe('control/commands (typed command table)', () => {
  let dir: string;
  let storage: Storage;
  let server: ControlServer | undefined;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cv-cmds-'));
    const config = loadConfig({ file: DEV_CONFIG, sets: [`storage.dir=${dir}`] });
    storage = await openStorage({ config, log: silentLogger() });
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has one handler per command, and the server map is the same table', () => {
    const table = controlHandlers(storage);
    assert.deepEqual(Object.keys(table).sort(), [...EXPECTED].sort());
    const map = storageHandlers(storage);
    assert.deepEqual([...map.keys()].sort(), [...EXPECTED].sort());
    for (const h of map.values()) assert.equal(typeof h, 'function');
  });

  it('answers over the socket with the typed result the local handler gives', async () => {
    const path = join(dir, 'control.sock');
    server = await createControlServer(path, storageHandlers(storage), silentLogger());
    const call = async <C extends CommandName>(cmd: C, args: Parameters<typeof callCommand<C>>[2]) => {
      const socket = await tryConnect(path);
      assert.ok(socket);
      return callCommand(socket, cmd, args);
    };
    const status = await call('status', {});
    assert.equal(status.pid, process.pid);
    assert.equal(status.storage, dir);
    assert.equal(typeof status.activeRecordings, 'number');
    const rotated = await call('keys.rotate', {});
    assert.ok(Number.isInteger(rotated.keyId) && rotated.keyId > 0, `keyId ${rotated.keyId}`);
    const audit = await call('audit.verify', {});
    assert.equal(audit.ok, true);
    if (audit.ok) assert.ok(audit.entries >= 1, `${audit.entries} entries`);
    const found = await call('recordings.search', { limit: 5 });
    assert.deepEqual(found, []);

    // The same command run locally (no socket): the same shape, from the same table.
    const local = await controlHandlers(storage)['audit.list']({
      args: {},
      actor: { name: 'os:test', from: 'local' },
      upload: null,
      download: async () => {},
    });
    const remote = await call('audit.list', {});
    assert.deepEqual(remote, JSON.parse(JSON.stringify(local)));
    assert.ok(
      remote.some((e) => e.action === 'keys_rotate'),
      remote.map((e) => e.action).join(),
    );
  });
});
