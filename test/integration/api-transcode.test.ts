/**
 * Transcoding on a box without ffmpeg: the daemon is started with a PATH that holds no ffmpeg.
 * mp3 and opus answer 503 with a code (the spawn error used to kill the daemon), WAV still
 * plays, and the failed attempts are audited.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { makeToneWav } from '../helpers/audio.js';
import { call, errorCode, json } from '../helpers/https.js';
import { AGENT, CALLER, SiprecClient, finishedRecord, rtpRangeSet } from '../kit/index.js';

describe('integration: audio without ffmpeg', function () {
  this.timeout(90_000);
  let work: string;
  let daemon: RunningDaemon | undefined;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'cv-noff-'));
  });
  after(async () => {
    await daemon?.stop('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });

  it('mp3 and opus → 503 CV_ERR_API_TRANSCODER_MISSING, the daemon lives, a call in progress is recorded, WAV still plays', async () => {
    const sets = await isolatedSets(join(work, 'storage'), [rtpRangeSet(), 'media.rtp_timeout_ms=3000']);
    const wav = join(work, 'tone.wav');
    makeToneWav(wav, 3, [440, 880]);
    const imp = await ctl(sets, [
      'import',
      wav,
      '--meta',
      JSON.stringify({ agent: '1001', service: 'billing' }),
    ]);
    assert.equal(imp.code, 0, imp.stderr);
    const id = imp.stdout.trim();
    const add = await ctl(sets, ['users', 'add', 'sam', '--role', 'supervisor', '--password-stdin'], {
      stdin: 'sam has a long passphrase',
    });
    assert.equal(add.code, 0, add.stderr);
    const emptyBin = join(work, 'bin');
    mkdirSync(emptyBin);
    daemon = await startDaemon(sets, 20_000, { ...process.env, PATH: emptyBin });
    const base = `${daemon.apiUrl!}/api/v1`;
    const login = await call(`${base}/session`, {
      method: 'POST',
      json: { username: 'sam', password: 'sam has a long passphrase' },
    });
    assert.equal(login.status, 200);
    const token = String(json(login)['token']);
    // A call is in progress while the transcoder requests fail.
    const sip = await SiprecClient.open(
      Number(/sip\.udp=127\.0\.0\.1:(\d+)/.exec(sets.join(' '))![1]),
      'udp',
    );
    const live = await sip.call({
      streams: [
        { label: 'caller', codec: 'PCMU', toneHz: 440 },
        { label: 'agent', codec: 'PCMU', toneHz: 1000 },
      ],
      caller: CALLER,
      callee: AGENT,
      direction: 'inbound',
      service: 'kundtjanst',
    });
    assert.equal(await live.invite(), 200);
    const media = live.sendMedia({ durationMs: 4000 });
    for (const format of ['mp3', 'opus', 'mp3']) {
      const r = await call(`${base}/recordings/${id}/audio?format=${format}&reason=quality%20review`, {
        token,
      });
      assert.equal(r.status, 503, r.body.toString());
      assert.equal(errorCode(r), 'CV_ERR_API_TRANSCODER_MISSING');
    }
    assert.equal(daemon.child.exitCode, null, 'the daemon is alive');
    await media;
    assert.equal(await live.bye(), 200);
    const rec = await finishedRecord(sets, daemon.logs, live.callId);
    assert.ok(Math.abs(rec.durationMs - 4000) < 1500, `the call was recorded: ${rec.durationMs} ms`);
    await sip.close();
    assert.equal((await call(`${base}/health`)).status, 200);
    const wavReply = await call(`${base}/recordings/${id}/audio?reason=quality%20review`, { token });
    assert.equal(wavReply.status, 200);
    assert.ok(wavReply.complete);
    assert.equal(await daemon.stop('SIGTERM'), 0);
    daemon = undefined;
    const audit = JSON.parse((await ctl(sets, ['audit', 'list', '--json'])).stdout) as {
      action: string;
      detail: { code?: string } | null;
    }[];
    const failed = audit.filter((e) => e.action === 'listen_failed');
    assert.equal(failed.length, 3);
    assert.ok(failed.every((e) => e.detail?.code === 'CV_ERR_API_TRANSCODER_MISSING'));
    assert.equal(audit.filter((e) => e.action === 'listen').length, 1, 'only the delivered WAV is a listen');
  });
});
