import assert from 'node:assert/strict';
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_USER, exitCodeFor } from '../../../agent/src/common/index.js';
import {
  assertOwnership,
  CONFIG_ERROR_CODES,
  ForeignOwnerError,
  loadConfig,
} from '../../../agent/src/config/index.js';
import { makeTempDir, removeDir } from './helpers.js';

const NOBODY = 65534;

describe('config/ownership', function () {
  this.timeout(5000);
  let dir: string;
  beforeEach(function () {
    // chown needs root; the appliance's test runs are root.
    if (process.geteuid?.() !== 0) this.skip();
    dir = makeTempDir();
  });
  afterEach(() => {
    if (dir !== undefined) removeDir(dir);
  });

  function config(sets: readonly string[] = []): ReturnType<typeof loadConfig> {
    const file = join(dir, 'cv.yaml');
    writeFileSync(file, `storage:\n  dir: ${join(dir, 'data')}\npolicy:\n  name: hrm\n`);
    return loadConfig({ file, cwd: dir, sets });
  }

  it('accepts paths owned by this user or by root, and paths not created yet', () => {
    assertOwnership(config());
    mkdirSync(join(dir, 'data'));
    assertOwnership(config());
    // A service user may use root-owned provisioning (a key file installed by root).
    assertOwnership(config(), 1234);
  });

  it('refuses a storage.dir owned by another non-root user, naming the key', () => {
    mkdirSync(join(dir, 'data'));
    chownSync(join(dir, 'data'), NOBODY, NOBODY);
    assert.throws(
      () => assertOwnership(config()),
      (err: unknown) => {
        assert.ok(err instanceof ForeignOwnerError);
        assert.equal(err.code, CONFIG_ERROR_CODES.foreignOwner);
        assert.equal(exitCodeFor(err), EXIT_USER);
        assert.equal(err.context.key, 'storage.dir');
        assert.match(err.message, /^config: storage\.dir: .* is owned by (nobody \()?uid 65534/);
        return true;
      },
    );
  });

  it('refuses a master key file owned by another non-root user', () => {
    const key = join(dir, 'master.key');
    writeFileSync(key, 'x', { mode: 0o600 });
    chownSync(key, NOBODY, NOBODY);
    assert.throws(
      () => assertOwnership(config([`keys.master_key_file=${key}`])),
      (err: unknown) => err instanceof ForeignOwnerError && err.context.key === 'keys.master_key_file',
    );
  });
});
