/**
 * 50 concurrent SIPREC calls (2 streams × 5 s each, µ-law, real-time RTP) against one daemon:
 * every call is answered and recorded with the right length; a sample is exported and checked
 * for the right tone in the right channel and verified.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { channelFrequency } from '../helpers/audio.js';
import {
  AGENT,
  SiprecClient,
  assertRecordedLength,
  exportWav,
  recordingIdFromLogs,
  rtpRangeSet,
  sleep,
  type MediaReport,
  type SiprecCall,
} from '../kit/index.js';
import { untilAsync } from '../helpers/until.js';

const CALLS = 50;
const SECONDS = 5;

describe('integration: SIPREC load', function () {
  this.timeout(120_000);
  let work: string;
  let daemon: RunningDaemon | undefined;
  const clients: SiprecClient[] = [];
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'cv-siprec-load-'));
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await daemon?.stop('SIGKILL');
    daemon = undefined;
    rmSync(work, { recursive: true, force: true });
  });

  it(`records ${CALLS} concurrent two-stream calls of ${SECONDS} s, all with the right length`, async () => {
    const sets = await isolatedSets(join(work, 'storage'), [rtpRangeSet()]);
    daemon = await startDaemon(sets);
    const port = Number(/sip\.udp=127\.0\.0\.1:(\d+)/.exec(sets.join(' '))![1]);
    // Five SBC signalling sockets, ten calls each, INVITEs 20 ms apart (a busy trunk, not a flood).
    for (let i = 0; i < 5; i++) clients.push(await SiprecClient.open(port));
    const placed = await Promise.all(
      Array.from(
        { length: CALLS },
        async (_, i): Promise<{ call: SiprecCall; sent: MediaReport; number: string }> => {
          await sleep(i * 20);
          const number = `+46708${String(i).padStart(6, '0')}`;
          const call = await clients[i % 5]!.call({
            streams: [
              { label: 'caller', codec: 'PCMU', toneHz: 440 },
              { label: 'agent', codec: 'PCMU', toneHz: 1000 },
            ],
            caller: { name: null, aor: `sip:${number}@sbc.operator.example` },
            callee: AGENT,
            direction: 'inbound',
            service: 'load',
          });
          const status = await call.invite();
          assert.equal(status, 200, `call ${i}: ${call.final?.raw.split('\r\n')[0]}`);
          const sent = await call.sendMedia({ durationMs: SECONDS * 1000 });
          assert.equal(await call.bye(), 200, `call ${i}: BYE`);
          return { call, sent, number };
        },
      ),
    );
    type Listed = { id: string; number: string | null; durationMs: number; state: string };
    let list: Listed[] = [];
    // Each BYE was answered; the recordings are finalised just after: wait for all of them.
    await untilAsync(
      async () => {
        list = JSON.parse((await ctl(sets, ['recordings', 'list', '--json'])).stdout) as Listed[];
        return list.length >= CALLS && list.every((r) => r.state === 'complete');
      },
      `${CALLS} complete recordings`,
      30_000,
    );
    assert.equal(list.length, CALLS, 'one recording per call');
    for (const { call, number } of placed) {
      const id = recordingIdFromLogs(daemon.logs(), call.callId);
      const item = list.find((r) => r.id === id);
      assert.ok(item !== undefined, `recording of ${number}`);
      assert.equal(item.number, number);
      assert.equal(item.state, 'complete');
      // 250 ms between what the SBC saw and what was recorded; up to 4 s of the test sender's
      // own slip (50 calls paced by one test process on a shared 2-core machine) is harness
      // noise, not the recorder's, and is allowed.
      assertRecordedLength(item, call, SECONDS * 1000, number, 250, 4000);
    }
    for (const k of [0, Math.floor(CALLS / 2), CALLS - 1]) {
      const id: string = recordingIdFromLogs(daemon.logs(), placed[k]!.call.callId)!;
      const wav = await exportWav(sets, id, work);
      assert.ok(Math.abs(channelFrequency(wav, 0, 0.5, 4.5) - 440) <= 3, `call ${k}: left`);
      assert.ok(Math.abs(channelFrequency(wav, 1, 0.5, 4.5) - 1000) <= 3, `call ${k}: right`);
      assert.equal((await ctl(sets, ['verify', id])).code, 0, `call ${k}: verify`);
    }
  });
});
