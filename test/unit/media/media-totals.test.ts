import assert from 'node:assert/strict';
import { MediaTotals, mediaVerdict, type MediaSide, type RtpStream } from '../../../agent/src/media/index.js';
import { feedUlaw, testStream } from '../../helpers/rtp-stream.js';

const makeStream = (): RtpStream => testStream();

/** `count` µ-law packets with sequence numbers from `seq0`, skipping those in `skip`. */
const feed = (s: RtpStream, seq0: number, count: number, skip: ReadonlySet<number> = new Set()): void =>
  feedUlaw(s, { ssrc: 5, seq0, count, skip });

const RTCP_RR = Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 9]);

describe('media/media-totals', () => {
  it('sums live streams by side as packets arrive and keeps a stream’s counts after its call ends', function () {
    this.timeout(5000);
    const totals = new MediaTotals();
    const a = makeStream();
    const b = makeStream();
    totals.track(a, 'customer');
    totals.track(b, 'agent');
    feed(a, 0, 50, new Set([10, 11]));
    assert.deepEqual(
      { ...totals.totals().get('customer') },
      { packets: 48, lost: 2, late: 0, duplicates: 0 },
    );
    feed(a, 50, 50);
    feed(b, 0, 30);
    assert.equal(totals.totals().get('customer')!.packets, 98, 'moved with no call end');
    assert.equal(totals.totals().get('agent')!.packets, 30);
    totals.retire(a);
    totals.retire(a);
    feed(a, 100, 10);
    assert.equal(totals.totals().get('customer')!.packets, 98, 'retired once, not counted live any more');
    assert.equal(totals.liveStreams, 1);
    assert.equal(totals.totals().get('other')!.packets, 0);
  });

  it('judges a call: ok, no_media, one_way, and why a stream was silent', () => {
    const silent = makeStream();
    const talking = makeStream();
    feed(talking, 0, 5);
    const rtcpOnly = makeStream();
    rtcpOnly.ingestRtcp(RTCP_RR, '127.0.0.1', 5001);
    const dropped = makeStream();
    dropped.ingestRtp(Buffer.alloc(4), '127.0.0.1', 5000);
    const ended = (
      s: RtpStream,
      side: MediaSide,
    ): { side: MediaSide; stats: ReturnType<RtpStream['stats']> } => ({
      side,
      stats: s.stats(),
    });
    assert.deepEqual(mediaVerdict([ended(talking, 'customer'), ended(talking, 'agent')]), { kind: 'ok' });
    assert.deepEqual(mediaVerdict([ended(silent, 'customer'), ended(silent, 'agent')]), {
      kind: 'no_media',
      reason: 'no_packets',
    });
    assert.deepEqual(mediaVerdict([ended(silent, 'customer'), ended(rtcpOnly, 'agent')]), {
      kind: 'no_media',
      reason: 'rtcp_only',
    });
    assert.deepEqual(mediaVerdict([ended(talking, 'customer'), ended(dropped, 'agent')]), {
      kind: 'one_way',
      silentSide: 'agent',
      reason: 'dropped',
    });
    assert.deepEqual(mediaVerdict([ended(silent, 'customer')]), { kind: 'no_media', reason: 'no_packets' });
    assert.deepEqual(
      mediaVerdict([ended(talking, 'other'), ended(silent, 'customer'), ended(silent, 'agent')]),
      { kind: 'one_way', silentSide: 'other', reason: 'no_packets' },
    );
  });

  it('counts verdicts and reports ended streams once each', () => {
    const totals = new MediaTotals();
    const seen: string[] = [];
    totals.on('streamended', (side, st) => seen.push(`${side}:${st.packets}`));
    const s = makeStream();
    const t = makeStream();
    feed(t, 0, 3);
    const ended = [
      { side: 'customer' as const, stats: t.stats() },
      { side: 'agent' as const, stats: s.stats() },
    ];
    totals.callEnded(ended, mediaVerdict(ended));
    totals.callEnded(
      ended.map((e) => ({ ...e, stats: s.stats() })),
      { kind: 'no_media', reason: 'no_packets' },
    );
    assert.deepEqual(seen, ['customer:3', 'agent:0', 'customer:0', 'agent:0']);
    assert.equal(totals.noMediaCalls().get('no_packets'), 1);
    assert.deepEqual(totals.oneWayCalls(), [{ side: 'agent', reason: 'no_packets', calls: 1 }]);
  });

  it('sums 2 500 live streams (1 250 two-stream calls) well inside a scrape budget', function () {
    this.timeout(20_000);
    const totals = new MediaTotals();
    for (let i = 0; i < 2500; i++) {
      const s = makeStream();
      feed(s, 0, 3);
      totals.track(s, i % 2 === 0 ? 'customer' : 'agent');
    }
    totals.totals();
    const t0 = performance.now();
    const rounds = 20;
    for (let i = 0; i < rounds; i++) totals.totals();
    const ms = (performance.now() - t0) / rounds;
    console.log(`      totals() over 2 500 streams: ${ms.toFixed(3)} ms`);
    assert.equal(totals.totals().get('customer')!.packets, 3750);
    assert.ok(ms < 10, `${ms} ms`);
  });
});
