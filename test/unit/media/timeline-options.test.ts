import assert from 'node:assert/strict';
import {
  DEFAULT_PAYLOAD_TYPES,
  MediaConfigError,
  createMediaRuntime,
  type CodecName,
} from '../../../agent/src/media/index.js';
import { resolveTimelineOptions } from '../../../agent/src/media/timeline-options.js';

const ORIGIN = 1_700_000_000_000;

describe('media/timeline-options', () => {
  it('applies the defaults: the first audio codec rate, 60 ms, 1000 ms ahead, 32 slots', () => {
    const o = resolveTimelineOptions({ originMs: ORIGIN, payloadTypes: DEFAULT_PAYLOAD_TYPES });
    assert.deepEqual(
      {
        sampleRate: o.sampleRate,
        jitterBufferMs: o.jitterBufferMs,
        ahead: o.maxAheadSamples,
        slots: o.slots,
      },
      { sampleRate: 8000, jitterBufferMs: 60, ahead: 8000, slots: 32 },
    );
    assert.equal(o.codecs[0]?.name, 'PCMU');
    const g722 = resolveTimelineOptions({
      originMs: ORIGIN,
      payloadTypes: new Map<number, CodecName>([[9, 'G722']]),
    });
    assert.equal(g722.sampleRate, 16000);
  });

  it('takes its payload-type table from the runtime it is given', () => {
    const runtime = createMediaRuntime();
    const pts = new Map<number, CodecName>([[8, 'PCMA']]);
    const a = resolveTimelineOptions({ originMs: ORIGIN, payloadTypes: pts, runtime });
    assert.equal(a.runtime, runtime);
    assert.equal(a.codecs, runtime.codecTable(pts));
  });

  it('refuses values out of range with CV_ERR_MEDIA_CONFIG', () => {
    const bad = [
      { sampleRate: 44100 },
      { jitterBufferMs: 1001 },
      { jitterBufferMs: Number.NaN },
      { slots: 12 },
      { slots: 4 },
      { slots: 1024 },
      { payloadTypes: new Map<number, CodecName>([[128, 'PCMU']]) },
    ];
    for (const extra of bad)
      assert.throws(
        () => resolveTimelineOptions({ originMs: ORIGIN, payloadTypes: DEFAULT_PAYLOAD_TYPES, ...extra }),
        (err: unknown) => err instanceof MediaConfigError && err.code === 'CV_ERR_MEDIA_CONFIG',
        JSON.stringify(extra),
      );
  });
});
