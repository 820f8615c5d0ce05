/**
 * `callvaultctl test-call` against the real daemon: a SIPREC call over UDP on 127.0.0.1 is
 * answered, recorded, and found with the caller's tone left and the agent's right. The test
 * also checks the recording independently of the command's own check.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { readWav, channelFrequency, durationSeconds } from '../helpers/audio.js';

describe('integration: callvaultctl test-call', function () {
  this.timeout(60_000);
  let work: string;
  let daemon: RunningDaemon | undefined;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'cv-tc-'));
  });
  afterEach(async () => {
    await daemon?.stop('SIGKILL');
    daemon = undefined;
    rmSync(work, { recursive: true, force: true });
  });

  it('records a SIPREC test call: 3 s, 440 Hz left (caller), 1000 Hz right (agent), metadata indexed', async () => {
    const sets = await isolatedSets(join(work, 'storage'));
    daemon = await startDaemon(sets);
    const r = await ctl(sets, ['test-call', '--seconds', '3']);
    assert.equal(r.code, 0, r.stdout + r.stderr + daemon.logs());
    const id = /recorded as (\S+),/.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    const show = JSON.parse((await ctl(sets, ['recordings', 'show', id, '--json'])).stdout) as Record<string, unknown>;
    assert.equal(show['number'], '+10000000000');
    assert.equal(show['direction'], 'inbound');
    assert.equal(show['service'], 'callvault-test');
    assert.equal(show['source'], 'siprec');
    const out = join(work, 'tc.wav');
    assert.equal((await ctl(sets, ['export', id, '-o', out, '--reason', 'integration check'])).code, 0);
    const wav = readWav(readFileSync(out));
    assert.equal(wav.channels, 2);
    assert.ok(Math.abs(durationSeconds(wav) - 3) <= 0.2, `duration ${durationSeconds(wav)}`);
    assert.equal(channelFrequency(wav, 0), 440);
    assert.equal(channelFrequency(wav, 1), 1000);
    assert.equal((await ctl(sets, ['verify', id])).code, 0);
  });

  it('fails with exit 1 and a clear message when nothing answers', async () => {
    const sets = await isolatedSets(join(work, 'storage'));
    const r = await ctl(sets, ['test-call', '--seconds', '1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /CV_ERR_CLI_TEST_CALL/);
  });
});
