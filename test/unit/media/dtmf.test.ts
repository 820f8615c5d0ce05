import assert from 'node:assert/strict';
import {
  buildTelephoneEventPayload,
  digitForEvent,
  parseTelephoneEvent,
} from '../../../agent/src/media/index.js';
import {
  createDtmfTracker,
  createTelephoneEventPayload,
  flushDtmf,
  trackTelephoneEvent,
} from '../../../agent/src/media/dtmf.js';

function feed(
  t: ReturnType<typeof createDtmfTracker>,
  event: number,
  ts: number,
  durations: readonly number[],
  endRepeats: number,
): void {
  const p = createTelephoneEventPayload();
  for (const d of durations) {
    assert.ok(parseTelephoneEvent(buildTelephoneEventPayload(event, false, 10, d), 0, 4, p));
    trackTelephoneEvent(t, p, ts, 500, 8000);
  }
  for (let i = 0; i < endRepeats; i++) {
    parseTelephoneEvent(buildTelephoneEventPayload(event, true, 10, durations.at(-1)! + 160), 0, 4, p);
    trackTelephoneEvent(t, p, ts, 500, 8000);
  }
}

describe('media/dtmf', () => {
  it('parses the RFC 4733 payload fields', function () {
    this.timeout(2000);
    const p = createTelephoneEventPayload();
    assert.equal(parseTelephoneEvent(Uint8Array.from([11, 0x8a, 0x03, 0x20]), 0, 4, p), true);
    assert.deepEqual(p, { event: 11, end: true, volume: 10, duration: 800 });
    assert.equal(parseTelephoneEvent(Uint8Array.from([1, 2, 3]), 0, 3, p), false);
  });

  it('maps event codes to digits', function () {
    this.timeout(2000);
    assert.deepEqual([0, 9, 10, 11, 12, 15, 16, 17].map(digitForEvent), [
      '0',
      '9',
      '*',
      '#',
      'A',
      'D',
      'flash',
      undefined,
    ]);
  });

  it('reports one event per digit despite three end packets', function () {
    this.timeout(2000);
    const t = createDtmfTracker();
    feed(t, 1, 8000, [160, 320, 480, 640], 3);
    feed(t, 2, 16000, [160, 320], 3);
    assert.deepEqual(
      t.events.map((e) => [e.digit, e.startTs, e.durationMs, e.ended, e.volumeDbm0, e.offsetMs]),
      [
        ['1', 8000, 100, true, -10, 500],
        ['2', 16000, 60, true, -10, 500],
      ],
    );
  });

  it('closes an event whose end packets were all lost when the next one starts or on flush', function () {
    this.timeout(2000);
    const t = createDtmfTracker();
    feed(t, 5, 1000, [160, 320, 800], 0);
    feed(t, 11, 9000, [160, 400], 0);
    assert.deepEqual(
      t.events.map((e) => [e.digit, e.durationMs, e.ended]),
      [['5', 100, false]],
    );
    flushDtmf(t, 8000);
    flushDtmf(t, 8000);
    assert.deepEqual(
      t.events.map((e) => [e.digit, e.durationMs, e.ended]),
      [
        ['5', 100, false],
        ['#', 50, false],
      ],
    );
  });
});
