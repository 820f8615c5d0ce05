/**
 * A plain (non-SIPREC) INVITE from a real softphone: baresip, headless (no audio device: its
 * aufile module plays a 440 Hz WAV as the microphone), dials the daemon on 127.0.0.1 with
 * sip.accept_plain_invite=true, talks for ~6 s and hangs up (-t). The call must be recorded as
 * one mono stream with that tone, flagged no_metadata, and verify.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets, run, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { channelFrequency, durationSeconds, makeToneWav } from '../helpers/audio.js';
import { exportWav, rtpRangeSet, sleep, type RecordView } from '../kit/index.js';

const hasBaresip = spawnSync('baresip', ['-h']).error === undefined;

/** `count` consecutive UDP ports, from an even one in 10000-19999 outside `avoid`, free right now. */
async function freeUdpRange(count: number, avoid: readonly [number, number]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const low = 10_000 + 2 * Math.floor(Math.random() * 4900);
    if (low + count > avoid[0] && low <= avoid[1]) continue;
    const socks: Socket[] = [];
    try {
      for (let p = low; p < low + count; p++) {
        const s = createSocket('udp4');
        socks.push(s);
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.bind(p, '127.0.0.1', () => resolve());
        });
      }
      return low;
    } catch {
      // taken: try another range
    } finally {
      for (const s of socks) s.close();
    }
  }
  throw new Error('no free UDP range for baresip');
}

/** baresip's config dir: SIP on loopback, G.711 only, aufile as microphone, no audio device. */
function baresipConfig(dir: string, toneWav: string, low: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'config'),
    [
      'poll_method epoll',
      'sip_listen 127.0.0.1:0',
      'sip_trans_def udp',
      `audio_source aufile,${toneWav}`,
      'audio_player aufile,/dev/null',
      'audio_alert aufile,/dev/null',
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module aufile.so',
      'module menu.so',
      'module account.so',
      `rtp_ports ${low}-${low + 19}`,
      'dns_server 127.0.0.1:53',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'accounts'), '<sip:technician@127.0.0.1>;regint=0;audio_codecs=PCMU\n');
  writeFileSync(join(dir, 'contacts'), '');
}

describe('integration: plain INVITE from baresip', function () {
  this.timeout(60_000);
  let work: string;
  let daemon: RunningDaemon | undefined;
  beforeEach(function () {
    if (!hasBaresip) this.skip();
    work = mkdtempSync(join(tmpdir(), 'cv-baresip-'));
  });
  afterEach(async () => {
    await daemon?.stop('SIGKILL');
    daemon = undefined;
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('records a baresip call (plain INVITE, sip.accept_plain_invite=true): mono, 440 Hz, its length, no_metadata, verify', async () => {
    const sets = await isolatedSets(join(work, 'storage'), [rtpRangeSet(), 'sip.accept_plain_invite=true']);
    daemon = await startDaemon(sets);
    const port = Number(/sip\.udp=127\.0\.0\.1:(\d+)/.exec(sets.join(' '))![1]);
    const tone = join(work, 'tone.wav');
    makeToneWav(tone, 30, [440]);
    const cfg = join(work, 'baresip');
    const daemonRtp = /media\.rtp_ports=(\d+)-(\d+)/.exec(sets.join(' '))!;
    baresipConfig(cfg, tone, await freeUdpRange(20, [Number(daemonRtp[1]), Number(daemonRtp[2])]));
    // -e types the menu command "d URI" (dial); -t quits after 6 s, which hangs up with BYE.
    const r = await run('baresip', ['-f', cfg, '-t', '6', '-e', `d sip:recorder@127.0.0.1:${port}`], {
      timeoutMs: 20_000,
    });
    assert.ok(/call: connecting/.test(r.stdout + r.stderr), `baresip dialled: ${r.stdout}${r.stderr}`);
    let rec: RecordView | undefined;
    for (let i = 0; i < 30 && rec === undefined; i++) {
      const list = JSON.parse((await ctl(sets, ['recordings', 'list', '--json'])).stdout) as {
        id: string;
        state: string;
      }[];
      const done = list.find((x) => x.state !== 'recording');
      if (done !== undefined)
        rec = JSON.parse((await ctl(sets, ['recordings', 'show', done.id, '--json'])).stdout) as RecordView;
      else await sleep(300);
    }
    assert.ok(rec !== undefined, `no recording; daemon log:\n${daemon.logs().slice(-3000)}`);
    assert.ok(/"plain":true/.test(daemon.logs()), 'the daemon took it as a plain call');
    assert.equal(rec.format.channels, 1);
    assert.ok(rec.flags.includes('no_metadata'), rec.flags.join(','));
    assert.equal(rec.stats?.endReason, 'bye');
    assert.ok(rec.durationMs >= 4500 && rec.durationMs <= 6300, `durationMs ${rec.durationMs}`);
    const st = Object.values(rec.stats!.streams)[0]!;
    assert.ok(st.packets >= 200, `packets ${st.packets}`);
    const wav = await exportWav(sets, rec.id, work);
    assert.ok(Math.abs(durationSeconds(wav) * 1000 - rec.durationMs) <= 50);
    assert.ok(Math.abs(channelFrequency(wav, 0, 0.5, 4) - 440) <= 3, 'the 440 Hz tone baresip played');
    assert.equal((await ctl(sets, ['verify', rec.id])).code, 0);
  });
});
