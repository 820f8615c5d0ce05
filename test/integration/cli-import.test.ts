/**
 * `callvaultctl import` of several legacy WAV files, with and without a daemon: metadata from
 * the JSON file beside each WAV, a progress count, and a broken file named (exit 1) while the
 * others still go in.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { makeToneWav } from '../helpers/audio.js';

describe('integration: callvaultctl import of several files', function () {
  this.timeout(120_000);
  let work: string;
  let sets: string[];
  let daemon: RunningDaemon | undefined;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'cv-import-it-'));
    sets = await isolatedSets(join(work, 'storage'));
  });
  after(async () => {
    await daemon?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const numberOf = async (id: string): Promise<string | null> => {
    const r = await ctl(sets, ['recordings', 'show', id, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { number: string | null }).number;
  };

  const files = (tag: string): string[] => {
    const a = join(work, `${tag}-a.wav`);
    const b = join(work, `${tag}-b.wav`);
    const broken = join(work, `${tag}-broken.wav`);
    makeToneWav(a, 1, [440, 1000]);
    makeToneWav(b, 1, [440, 1000]);
    writeFileSync(join(work, `${tag}-a.json`), JSON.stringify({ number: '+46701000011', agent: '201' }));
    writeFileSync(broken, Buffer.from('RIFF\0\0\0\0WAVEnot a wave file at all'));
    return [a, broken, b];
  };

  for (const mode of ['offline', 'through the daemon'] as const) {
    it(`${mode}: imports every good file, names the broken one, counts progress`, async () => {
      if (mode === 'through the daemon') daemon = await startDaemon(sets);
      const [a, broken, b] = files(mode.replace(/\W+/g, '_'));
      const r = await ctl(sets, ['import', a!, broken!, b!, '--progress']);
      process.stdout.write(`      ${mode}: exit ${r.code}; ${r.stdout.trim().split('\n').length} ids\n`);
      assert.equal(r.code, 1, r.stderr);
      const ids = r.stdout.trim().split('\n');
      assert.equal(ids.length, 2, r.stdout);
      assert.match(
        r.stderr,
        new RegExp(`not imported: ${broken!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*\\[CV_ERR_`),
      );
      assert.match(r.stderr, /^import: 3\/3 \(100%\)$/m);
      assert.match(r.stderr, /1 of 3 files not imported/);
      // a.wav took its metadata from a.json; b.wav had none.
      assert.equal(await numberOf(ids[0]!), '+46701000011');
      assert.equal(await numberOf(ids[1]!), null);
    });
  }

  it('one file keeps the single-file contract: its error is the exit code, --meta wins over a.json', async () => {
    const a = join(work, 'single-a.wav');
    makeToneWav(a, 1, [440, 1000]);
    writeFileSync(join(work, 'single-a.json'), JSON.stringify({ number: '+46701000011' }));
    const r = await ctl(sets, ['import', a, '--meta', JSON.stringify({ number: '+46701000022' })]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await numberOf(r.stdout.trim()), '+46701000022');
    const bad = await ctl(sets, ['import', join(work, 'missing.wav')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /cannot read .*missing\.wav: ENOENT/);
  });
});
