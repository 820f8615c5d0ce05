/**
 * CallManager over the parts main.ts gives it: a real SIP stack on 127.0.0.1 (port 0), a real
 * media receiver, real storage (vault + LevelDB) in a temp dir. A SIPREC client on loopback
 * sends the INVITEs; every answer is checked against the refusal table, the counters and, for
 * refusals after ports were bound, that the ports came back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../../agent/src/config/index.js';
import { openStorage, type Storage } from '../../../agent/src/storage/index.js';
import { createSipStack, type SipStack } from '../../../agent/src/sip/index.js';
import {
  createMediaReceiver,
  createMediaRuntime,
  type MediaReceiver,
} from '../../../agent/src/media/index.js';
import { CallManager } from '../../../agent/src/calls/index.js';
import { sipRefusal } from '../../../agent/src/calls/refusals.js';
import type { RefusalCode } from '../../../agent/src/calls/errors.js';
import { createLogger } from '../../../agent/src/common/index.js';
import { DEV_CONFIG } from '../../helpers/daemon.js';
import { until } from '../../helpers/until.js';
import {
  AGENT,
  CALLER,
  SiprecClient,
  header,
  type OfferSpec,
  type SipMessage,
  type SiprecCall,
} from '../../kit/index.js';

interface Rig {
  readonly dir: string;
  readonly config: Config;
  readonly storage: Storage;
  readonly stack: SipStack;
  readonly receiver: MediaReceiver;
  readonly calls: CallManager;
  readonly client: SiprecClient;
  /** Log lines of the CallManager, parsed. */
  readonly logs: Record<string, unknown>[];
}

const TWO_STREAMS: OfferSpec = {
  streams: [
    { label: '1', codec: 'PCMU', toneHz: 440 },
    { label: '2', codec: 'PCMU', toneHz: 880 },
  ],
  caller: CALLER,
  callee: AGENT,
  direction: 'inbound',
};
const ONE_STREAM: OfferSpec = { ...TWO_STREAMS, streams: [TWO_STREAMS.streams[0]!] };

describe('calls/call-manager', function () {
  this.timeout(60_000);
  let rig: Rig | null = null;

  /** Storage, stack, receiver and CallManager wired as main.ts wires them. */
  async function start(
    sets: readonly string[] = [],
    o: { rtpPairs?: number; loopLagMs?: () => number } = {},
  ): Promise<Rig> {
    const dir = mkdtempSync(join(tmpdir(), 'cv-calls-'));
    const config = loadConfig({ file: DEV_CONFIG, sets: [`storage.dir=${dir}`, ...sets] });
    const logs: Record<string, unknown>[] = [];
    const log = createLogger('info', {
      write: (s: string) => void logs.push(JSON.parse(s) as Record<string, unknown>),
    });
    const storage = await openStorage({ config, log: log.child({ component: 'storage' }) });
    const stack = await createSipStack({
      udp: '127.0.0.1:0',
      tcp: 'off',
      trusted: config.sip.trusted,
      maxMessageBytes: config.sip.max_message_bytes,
      rateLimitPerSecond: config.sip.rate_limit_per_second,
      supported: ['siprec', 'timer', 'replaces'],
      acceptedContentTypes: [
        'application/sdp',
        'multipart/mixed',
        'application/rs-metadata+xml',
        'application/rs-metadata',
      ],
      log: log.child({ component: 'sip' }),
    });
    const low = 30000 + 2 * Math.floor(Math.random() * 10000);
    const receiver = await createMediaReceiver({
      runtime: createMediaRuntime(),
      portRange: { low, high: low + 2 * (o.rtpPairs ?? 20) - 1 },
      bindAddress: '127.0.0.1',
      jitterBufferMs: config.media.jitter_buffer_ms,
      reader: config.media.reader,
      fastPath: config.media.fast_path,
      log: log.child({ component: 'media' }),
    });
    const calls = new CallManager({
      stack,
      receiver,
      storage,
      config,
      log: log.child({ component: 'calls' }),
      ...(o.loopLagMs !== undefined ? { loopLagMs: o.loopLagMs } : {}),
    });
    const client = await SiprecClient.open(stack.addresses[0]!.port, 'udp');
    rig = { dir, config, storage, stack, receiver, calls, client, logs };
    return rig;
  }

  afterEach(async () => {
    if (rig === null) return;
    const r = rig;
    rig = null;
    await r.calls.close();
    await r.client.close();
    await r.stack.close();
    await r.receiver.close();
    if (!r.storage.closed) await r.storage.close();
    rmSync(r.dir, { recursive: true, force: true });
  });

  /** The INVITE's final response is the table's row for `refusal`, to the header. */
  function assertRefused(call: SiprecCall, refusal: RefusalCode, errorCode?: string): void {
    const want = sipRefusal(refusal, errorCode);
    const res = call.final!;
    assert.equal(res.status, want.status, res.raw.split('\r\n')[0]);
    assert.equal(reasonOf(res), want.reason);
    const got = (name: string): string | undefined => header(res, name);
    const wanted = (name: string): string | undefined => want.headers.find(([n]) => n === name)?.[1];
    assert.equal(got('retry-after'), wanted('Retry-After'), `${refusal}: Retry-After`);
    assert.equal(got('warning'), wanted('Warning'), `${refusal}: Warning`);
  }

  const reasonOf = (m: SipMessage): string => (m.raw.split('\r\n')[0] ?? '').replace(/^SIP\/2\.0 \d{3} /, '');
  const rejected = (r: Rig): Record<string, number> => r.calls.stats.snapshot().rejected;
  const logged = (r: Rig, msg: string): Record<string, unknown>[] => r.logs.filter((l) => l['msg'] === msg);

  it('answers a SIPREC INVITE 200 with an SDP answer, records the media, and finalises on BYE', async () => {
    const r = await start();
    const call = await r.client.call(TWO_STREAMS);
    assert.equal(await call.invite(), 200);
    assert.equal(call.answer!.streams.length, 2);
    assert.equal(r.calls.activeCalls, 1);
    assert.equal(r.receiver.activeStreams, 2);
    const sent = await call.sendMedia({ durationMs: 1000 });
    assert.equal(await call.bye(), 200);
    await until(() => r.calls.activeCalls === 0, 'the call to end', 15_000);
    const s = r.calls.stats.snapshot();
    assert.deepEqual([s.started, s.failed, s.ended, s.rejected], [1, 0, { bye: 1 }, {}]);
    assert.equal(r.receiver.activeStreams, 0, 'ports freed');
    const ids = await r.storage.index.listIds();
    assert.equal(ids.length, 1);
    const rec = (await r.storage.index.getRecording(ids[0]!))!;
    assert.equal(rec.state, 'complete');
    assert.equal(rec.direction, 'inbound');
    assert.notEqual(rec.endedAt, null);
    assert.ok(rec.durationMs >= 500 && rec.durationMs <= sent.sentMs + 500, `${rec.durationMs} ms recorded`);
    assert.equal(logged(r, 'call answered').length, 1);
  });

  it('refuses with shutting_down once closed: 503 Retry-After 30, not counted', async () => {
    const r = await start();
    await r.calls.close();
    const call = await r.client.call(ONE_STREAM);
    await call.invite();
    assertRefused(call, 'shutting_down');
    assert.deepEqual(rejected(r), {});
    assert.equal(r.receiver.activeStreams, 0);
  });

  it('refuses with disk_full below storage.min_free_bytes: 503 Retry-After 60 + Warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cv-free-'));
    const fs = statfsSync(dir);
    rmSync(dir, { recursive: true });
    const r = await start([`storage.min_free_bytes=${fs.bavail * fs.bsize + 10 * 2 ** 30}`]);
    const call = await r.client.call(ONE_STREAM);
    await call.invite();
    assertRefused(call, 'disk_full');
    assert.deepEqual(rejected(r), { disk_full: 1 });
    assert.equal(r.calls.diskLow, true);
  });

  it('refuses with max_calls at sip.max_calls, and takes calls again once one ended', async () => {
    const r = await start(['sip.max_calls=1']);
    const first = await r.client.call(ONE_STREAM);
    assert.equal(await first.invite(), 200);
    const second = await r.client.call(ONE_STREAM);
    await second.invite();
    assertRefused(second, 'max_calls');
    assert.equal(await first.bye(), 200);
    await until(() => r.calls.activeCalls === 0, 'the first call to end', 15_000);
    const third = await r.client.call(ONE_STREAM);
    assert.equal(await third.invite(), 200);
    assert.deepEqual(rejected(r), { max_calls: 1 });
  });

  it('refuses with overload while the loop lags past sip.overload_lag_ms, logged once per episode', async () => {
    let lagMs = 500;
    const r = await start(['sip.overload_lag_ms=100'], { loopLagMs: () => lagMs });
    for (let i = 0; i < 2; i++) {
      const call = await r.client.call(ONE_STREAM);
      await call.invite();
      assertRefused(call, 'overload');
    }
    lagMs = 10;
    const ok = await r.client.call(ONE_STREAM);
    assert.equal(await ok.invite(), 200);
    assert.deepEqual(rejected(r), { overload: 2 });
    assert.equal(logged(r, 'overloaded: refusing new calls').length, 1);
    assert.equal(logged(r, 'load back to normal: accepting calls').length, 1);
  });

  it("refuses with duplicate_call_id a second dialog with a live call's Call-ID: 482", async () => {
    const r = await start();
    const live = await r.client.call(ONE_STREAM);
    assert.equal(await live.invite(), 200);
    const again = await r.client.call(ONE_STREAM);
    // The same Call-ID in a new dialog (new From tag, new transaction): a loop, not a new call.
    const text = again.inviteText.replaceAll(again.callId, live.callId);
    const res = await r.client.transact(text, live.callId, 1, 'INVITE');
    const want = sipRefusal('duplicate_call_id');
    assert.equal(res.status, want.status);
    assert.equal(reasonOf(res), want.reason);
    assert.deepEqual(rejected(r), { duplicate_call_id: 1 });
    assert.equal(r.calls.activeCalls, 1, 'the live call goes on');
  });

  it('refuses with not_siprec a plain INVITE unless sip.accept_plain_invite: 403 + Warning', async () => {
    const r = await start(['sip.accept_plain_invite=false']);
    const call = await r.client.call({ ...ONE_STREAM, plain: true });
    await call.invite();
    assertRefused(call, 'not_siprec');
    assert.deepEqual(rejected(r), { not_siprec: 1 });
  });

  it('refuses with no_sdp an INVITE carrying only metadata: 488 + Warning', async () => {
    const r = await start();
    const call = await r.client.call({
      streams: [],
      rawBody: {
        type: 'application/rs-metadata+xml',
        body: '<recording xmlns="urn:ietf:params:xml:ns:recording:1"/>',
      },
    });
    await call.invite();
    assertRefused(call, 'no_sdp');
    assert.deepEqual(rejected(r), { no_sdp: 1 });
  });

  it('refuses with bad_body a multipart body without a boundary: 400 naming the code, a warning log', async () => {
    const r = await start();
    const call = await r.client.call({ streams: [], rawBody: { type: 'multipart/mixed', body: 'x' } });
    await call.invite();
    assertRefused(call, 'bad_body', 'CV_ERR_MULTIPART_NO_BOUNDARY');
    assert.deepEqual(rejected(r), { bad_body: 1 });
    assert.equal(logged(r, 'INVITE body is not valid multipart')[0]?.['level'], 40);
    assert.equal(logged(r, 'call setup failed').length, 0);
  });

  it('refuses with bad_sdp an unparsable offer: 400 naming the code', async () => {
    const r = await start();
    const call = await r.client.call({
      streams: [],
      rawBody: { type: 'application/sdp', body: 'v=0\r\nnonsense\r\n' },
    });
    await call.invite();
    assertRefused(call, 'bad_sdp', /\(([A-Z_]+)\)/.exec(header(call.final!, 'warning') ?? '')?.[1]);
    assert.match(header(call.final!, 'warning') ?? '', /bad SDP \(CV_ERR_SDP_[A-Z]+\)/);
    assert.deepEqual(rejected(r), { bad_sdp: 1 });
  });

  it('refuses with no_usable_stream an offer with no codec we decode: 488 + Warning 304', async () => {
    const r = await start();
    const sdp = [
      'v=0',
      'o=- 1 1 IN IP4 127.0.0.1',
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      'm=audio 4000 RTP/AVP 18',
      'a=rtpmap:18 G729/8000',
      'a=sendonly',
      '',
    ].join('\r\n');
    const call = await r.client.call({ streams: [], rawBody: { type: 'application/sdp', body: sdp } });
    await call.invite();
    assertRefused(call, 'no_usable_stream');
    assert.deepEqual(rejected(r), { no_usable_stream: 1 });
    assert.equal(r.receiver.activeStreams, 0);
  });

  it('refuses with ports_exhausted when the RTP range is used up (503), and frees what it bound', async () => {
    const r = await start([], { rtpPairs: 1 });
    const call = await r.client.call(TWO_STREAMS);
    await call.invite();
    assertRefused(call, 'ports_exhausted');
    assert.deepEqual(rejected(r), { ports_exhausted: 1 });
    assert.equal(r.receiver.activeStreams, 0, 'the pair bound for the first stream is free again');
    assert.equal(logged(r, 'call setup failed')[0]?.['level'], 50);
    const one = await r.client.call(ONE_STREAM);
    assert.equal(await one.invite(), 200);
  });

  it('declines with outbound_not_recorded under a policy that does not record outbound: 603, nothing stored', async () => {
    const r = await start(['policy.name=victoriahem']);
    assert.equal(r.storage.config.policy.record_outbound, false);
    const call = await r.client.call({ ...ONE_STREAM, direction: 'outbound' });
    await call.invite();
    assertRefused(call, 'outbound_not_recorded');
    assert.deepEqual(rejected(r), { outbound_not_recorded: 1 });
    assert.equal(r.receiver.activeStreams, 0, 'ports freed');
    assert.deepEqual(await r.storage.index.listIds(), []);
    assert.equal(logged(r, 'outbound call not recorded: policy.record_outbound is false').length, 1);
    const inbound = await r.client.call(ONE_STREAM);
    assert.equal(await inbound.invite(), 200, 'an inbound call under the same policy is recorded');
  });

  it('answers 500 (internal) when the recording cannot be started, logs the error and frees the ports', async () => {
    const r = await start();
    await r.storage.close();
    const call = await r.client.call(TWO_STREAMS);
    await call.invite();
    assertRefused(call, 'internal');
    assert.deepEqual(rejected(r), { internal: 1 });
    assert.equal(r.receiver.activeStreams, 0, 'the two streams bound for the offer are free again');
    assert.equal(r.calls.activeCalls, 0);
    const err = logged(r, 'call setup failed')[0];
    assert.equal(err?.['level'], 50);
    assert.match(String((err?.['err'] as { code?: string } | undefined)?.code), /^CV_ERR_/);
  });
});
