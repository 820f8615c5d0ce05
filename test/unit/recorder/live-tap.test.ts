import assert from 'node:assert/strict';
import { silentLogger } from '../../../agent/src/common/index.js';
import { LiveTaps, MAX_LIVE_LISTENERS, type LiveSink } from '../../../agent/src/recorder/live-tap.js';

function sink(): LiveSink & { got: Int16Array[]; ended: string[] } {
  const got: Int16Array[] = [];
  const ended: string[] = [];
  return { got, ended, data: (pcm) => void got.push(pcm), end: (r) => void ended.push(r) };
}

describe('recorder/live-tap', () => {
  it('hands each pass to every listener as a copy the recorder can reuse', () => {
    const taps = new LiveTaps(silentLogger());
    const a = sink();
    const b = sink();
    taps.add(a);
    taps.add(b);
    const buf = new Int16Array([1, 2, 3, 4]);
    taps.push(buf.subarray(1, 3));
    buf.fill(0);
    assert.deepEqual([...a.got[0]!], [2, 3]);
    assert.equal(a.got[0], b.got[0], 'one copy shared by the listeners');
  });

  it('stops feeding a listener that unsubscribes or throws, without touching the others', () => {
    const taps = new LiveTaps(silentLogger());
    const a = sink();
    const bad: LiveSink = {
      data: () => {
        throw new Error('socket gone');
      },
      end: () => undefined,
    };
    const off = taps.add(a)!;
    taps.add(bad);
    taps.push(new Int16Array([1]));
    assert.equal(taps.size, 1);
    off();
    taps.push(new Int16Array([2]));
    assert.equal(a.got.length, 1);
  });

  it('ends every listener once, with the reason, and refuses new ones after the end or past the limit', () => {
    const taps = new LiveTaps(silentLogger());
    const all = Array.from({ length: MAX_LIVE_LISTENERS }, sink);
    for (const s of all) assert.notEqual(taps.add(s), null);
    assert.equal(taps.add(sink()), null);
    taps.end('discarded');
    taps.end('ended');
    assert.deepEqual(
      all.map((s) => s.ended),
      all.map(() => ['discarded']),
    );
    assert.equal(taps.add(sink()), null);
  });
});
