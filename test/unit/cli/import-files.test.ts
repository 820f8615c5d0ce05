import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sidecarMeta } from '../../../agent/src/cli/import-files.js';

describe('cli/import-files sidecarMeta', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'cv-sidecar-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads FILE.json beside FILE.wav (any case of the extension)', () => {
    writeFileSync(join(dir, 'call1.json'), '{"number":"+4930111111"}');
    assert.equal(sidecarMeta(join(dir, 'call1.wav')), '{"number":"+4930111111"}');
    assert.equal(sidecarMeta(join(dir, 'call1.WAV')), '{"number":"+4930111111"}');
  });

  it('is undefined without one, and never reads the file itself as its metadata', () => {
    assert.equal(sidecarMeta(join(dir, 'call2.wav')), undefined);
    writeFileSync(join(dir, 'raw'), 'x');
    assert.equal(sidecarMeta(join(dir, 'raw')), undefined);
  });
});
