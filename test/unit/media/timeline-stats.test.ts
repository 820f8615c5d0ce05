import assert from 'node:assert/strict';
import { FastState } from '../../../agent/src/media/fast-state.js';
import { classifySeq, createDropCounters } from '../../../agent/src/media/stats.js';
import { createTimelineCounts, streamStats } from '../../../agent/src/media/timeline-stats.js';

describe('media/timeline-stats', () => {
  it('a fresh timeline reports nothing received, no source, MOS of a clean line', () => {
    const s = streamStats(createTimelineCounts(), new FastState(), {
      lastAudio: null,
      jitterBufferMs: 60,
      dtmfEvents: 0,
      drops: createDropCounters(),
    });
    assert.deepEqual(
      [s.packets, s.expected, s.lost, s.ssrc, s.codec, s.firstPacketMs, s.lastPacketMs],
      [0, 0, 0, null, null, null, null],
    );
    assert.ok(s.mos > 4);
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.drops));
  });

  it('adds the loss of earlier sequence runs to the current one, and late packets lower the MOS', () => {
    const st = new FastState();
    const res = { verdict: 'first' as const, ext: 0 } as { verdict: 'first' | 'newest'; ext: number };
    for (const seq of [100, 101, 105]) {
      classifySeq(st, seq, res);
      st.received++;
    }
    st.packets = 3;
    st.hasSource = true;
    st.ssrc = 42;
    const counts = { ...createTimelineCounts(), lostBefore: 2, expectedBefore: 10 };
    const input = {
      lastAudio: 'PCMA' as const,
      jitterBufferMs: 60,
      dtmfEvents: 1,
      drops: createDropCounters(),
    };
    const s = streamStats(counts, st, input);
    assert.deepEqual([s.expected, s.lost, s.ssrc, s.codec, s.dtmfEvents], [16, 5, 42, 'PCMA', 1]);
    const late = streamStats({ ...counts, late: 4 }, st, input);
    assert.equal(late.late, 4);
    assert.ok(late.mos < s.mos);
  });
});
