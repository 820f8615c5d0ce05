/**
 * Faults around SIPREC calls, each with its own daemon: a disk below storage.min_free_bytes
 * refuses new calls with 503 and raises callvault_storage_low; SIGTERM during a call sends BYE
 * to the SBC, finalises the recording (verifiable, as long as what was sent) and exits 0.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { channelFrequency, durationSeconds } from '../helpers/audio.js';
import {
  AGENT,
  SiprecClient,
  exportWav,
  header,
  recordingIdFromLogs,
  rtpRangeSet,
  sleep,
  type OfferSpec,
  type RecordView,
} from '../kit/index.js';

const OFFER: OfferSpec = {
  streams: [
    { label: 'caller', codec: 'PCMU', toneHz: 440 },
    { label: 'agent', codec: 'PCMU', toneHz: 1000 },
  ],
  caller: { name: 'Kalle Kund', aor: 'sip:+46701112233@sbc.operator.example' },
  callee: AGENT,
  direction: 'inbound',
  service: 'faults',
};

describe('integration: SIPREC faults (disk full, SIGTERM mid-call)', function () {
  this.timeout(60_000);
  let work: string;
  let daemon: RunningDaemon | undefined;
  let client: SiprecClient | undefined;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'cv-siprec-fault-'));
  });
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await daemon?.stop('SIGKILL');
    daemon = undefined;
    rmSync(work, { recursive: true, force: true });
  });

  it('answers a new call with 503 when free disk is below storage.min_free_bytes, and callvault_storage_low is 1', async () => {
    const st = statfsSync(work);
    const free = Number(st.bavail) * Number(st.bsize);
    const sets = await isolatedSets(join(work, 'storage'), [
      rtpRangeSet(),
      `storage.min_free_bytes=${free + 10 * 2 ** 30}`,
    ]);
    daemon = await startDaemon(sets);
    client = await SiprecClient.to(daemon!);
    const call = await client.call(OFFER);
    assert.equal(await call.invite(), 503, call.final?.raw.split('\r\n')[0]);
    assert.ok(
      header(call.final!, 'retry-after') !== undefined,
      'Retry-After lets the SBC fail over and come back',
    );
    const listen = /metrics\.listen=(\S+)/.exec(sets.join(' '))![1];
    const metrics = await (await fetch(`http://${listen}/metrics`)).text();
    assert.match(metrics, /^callvault_storage_low 1$/m);
    assert.equal(recordingIdFromLogs(daemon.logs(), call.callId), null, 'no recording started');
  });

  it('sheds load with 503 + Retry-After: at sip.max_calls, and while the event loop runs later than sip.overload_lag_ms', async () => {
    const sets = await isolatedSets(join(work, 'storage'), [rtpRangeSet(), 'sip.max_calls=1']);
    daemon = await startDaemon(sets);
    client = await SiprecClient.to(daemon!);
    const first = await client.call(OFFER);
    assert.equal(await first.invite(), 200);
    const second = await client.call(OFFER);
    assert.equal(await second.invite(), 503);
    assert.match(header(second.final!, 'warning') ?? '', /max_calls/);
    assert.ok(header(second.final!, 'retry-after') !== undefined);
    assert.equal(await first.bye(), 200);
    const listen = /metrics\.listen=(\S+)/.exec(sets.join(' '))![1];
    assert.match(
      await (await fetch(`http://${listen}/metrics`)).text(),
      /^callvault_calls_total\{outcome="rejected",reason="max_calls"\} 1$/m,
    );
    await client.close();
    client = undefined;
    await daemon.stop();
    // A 1 ms threshold: any measurable loop delay counts as overload once the first window closes.
    const lagSets = await isolatedSets(join(work, 'storage2'), [rtpRangeSet(), 'sip.overload_lag_ms=1']);
    daemon = await startDaemon(lagSets);
    client = await SiprecClient.to(daemon);
    let status = 0;
    let warning = '';
    const deadline = Date.now() + 5000;
    while (status !== 503 && Date.now() < deadline) {
      const call = await client.call(OFFER);
      status = await call.invite();
      warning = header(call.final!, 'warning') ?? '';
      if (status === 200) await call.bye();
      else if (status !== 503) assert.fail(`unexpected ${status}`);
      if (status !== 503) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 503, 'refused as overloaded within 5 s');
    assert.match(warning, /overloaded/);
    // The log line travels through the daemon's stdout pipe: wait for it (bounded).
    const logBy = Date.now() + 3000;
    while (!/overloaded: refusing new calls/.test(daemon.logs()) && Date.now() < logBy)
      await new Promise((r) => setTimeout(r, 20));
    assert.match(daemon.logs(), /overloaded: refusing new calls/);
  });

  it('answers an INVITE whose multipart body has no boundary delimiter with 400, logged as a warning, not an error', async () => {
    const sets = await isolatedSets(join(work, 'storage'), [rtpRangeSet()]);
    daemon = await startDaemon(sets);
    client = await SiprecClient.to(daemon!);
    const call = await client.call({
      ...OFFER,
      rawBody: { type: 'multipart/mixed;boundary=cv-boundary', body: 'v=0\r\nno delimiter here\r\n' },
    });
    assert.equal(await call.invite(), 400);
    assert.match(header(call.final!, 'warning') ?? '', /CV_ERR_MULTIPART_MALFORMED/);
    const listen = /metrics\.listen=(\S+)/.exec(sets.join(' '))![1];
    const metrics = await (await fetch(`http://${listen}/metrics`)).text();
    assert.match(metrics, /^callvault_calls_total\{outcome="rejected",reason="bad_body"\} 1$/m);
    assert.doesNotMatch(daemon.logs(), /"level":50/);
  });

  it('on SIGTERM mid-call sends BYE to the SBC, finalises a verifiable recording of what was sent, and exits 0', async () => {
    const sets = await isolatedSets(join(work, 'storage'), [rtpRangeSet()]);
    daemon = await startDaemon(sets);
    client = await SiprecClient.to(daemon!);
    const call = await client.call(OFFER);
    assert.equal(await call.invite(), 200);
    let stop = false;
    const media = call.sendMedia({ durationMs: 20_000, stop: () => stop });
    await sleep(4000);
    const byeSeen = client.waitFor((m) => m.method === 'BYE' && header(m, 'call-id') === call.callId, 10_000);
    const code = await daemon.stop('SIGTERM');
    const bye = await byeSeen;
    stop = true;
    const sent = await media;
    assert.equal(code, 0, daemon.logs().slice(-2000));
    assert.equal(bye.method, 'BYE');
    const id = recordingIdFromLogs(daemon.logs(), call.callId);
    assert.ok(id !== null, 'recording id logged');
    daemon = undefined;
    // The daemon is gone: the CLI opens the storage itself.
    const show = await ctl(sets, ['recordings', 'show', id, '--json']);
    assert.equal(show.code, 0, show.stderr);
    const rec = JSON.parse(show.stdout) as RecordView;
    assert.equal(rec.state, 'complete');
    assert.equal(rec.stats?.endReason, 'shutdown');
    assert.ok(sent.sentMs >= 4000, `sent ${sent.sentMs} ms`);
    assert.ok(
      Math.abs(rec.durationMs - sent.sentMs) <= 500,
      `durationMs ${rec.durationMs}, sent ${sent.sentMs} ms`,
    );
    const ver = await ctl(sets, ['verify', id]);
    assert.equal(ver.code, 0, ver.stdout + ver.stderr);
    const wav = await exportWav(sets, id, work);
    assert.ok(durationSeconds(wav) >= 3.9, `WAV ${durationSeconds(wav)} s`);
    assert.ok(Math.abs(channelFrequency(wav, 0, 0.5, 3.5) - 440) <= 3);
    assert.ok(Math.abs(channelFrequency(wav, 1, 0.5, 3.5) - 1000) <= 3);
  });
});
