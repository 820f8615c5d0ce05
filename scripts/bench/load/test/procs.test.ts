import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { daemonNodeFlags } from '../procs.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

describe('bench/load/procs', () => {
  it('runs the daemon with the node flags of the shipped unit, which `make run` uses too', () => {
    const flags = daemonNodeFlags(ROOT);
    assert.ok(
      flags.some((f) => /^--max-semi-space-size=\d+$/.test(f)),
      flags.join(' '),
    );
    const make = spawnSync('make', ['-n', 'run'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const line = make.stdout.split('\n').find((l) => l.includes('bin/callvault.js --config')) ?? '';
    assert.ok(line.startsWith(`node ${flags.join(' ')} bin/callvault.js`), line);
  });

  it('says so when the unit does not start bin/callvault.js', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cv-unit-'));
    try {
      mkdirSync(join(dir, 'systemd'));
      writeFileSync(join(dir, 'systemd', 'callvault.service'), '[Service]\nExecStart=/usr/bin/true\n');
      assert.throws(() => daemonNodeFlags(dir), /no ExecStart/);
      writeFileSync(
        join(dir, 'systemd', 'callvault.service'),
        '[Service]\nExecStart=/usr/bin/node /opt/callvault/bin/callvault.js --config x\n',
      );
      assert.deepEqual(daemonNodeFlags(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
