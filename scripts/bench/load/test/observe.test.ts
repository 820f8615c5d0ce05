import assert from 'node:assert/strict';
import { dropsOnPorts, parseProcNetUdp, promValue, topSelfTime, type CpuProfile } from '../observe.js';

describe('bench/load observe', function () {
  this.timeout(2000);

  it('reads an unlabelled Prometheus sample and not one whose name only shares a prefix', () => {
    const text = [
      '# HELP callvault_calls_active x',
      'callvault_calls_active_total 9',
      'callvault_calls_active 1250',
      'callvault_process_nodejs_eventloop_lag_p99_seconds 0.0123',
    ].join('\n');
    assert.equal(promValue(text, 'callvault_calls_active'), 1250);
    assert.equal(promValue(text, 'callvault_process_nodejs_eventloop_lag_p99_seconds'), 0.0123);
    assert.equal(promValue(text, 'callvault_missing'), null);
  });

  it('sums kernel drops of /proc/net/udp rows on the given ports only', () => {
    const text = [
      '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
      ' 1: 0100007F:4E20 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 5',
      ' 2: 0100007F:4E22 00000000:0000 07 00000000:00000300 00:00000000 00000000     0        0 2 2 0000000000000000 7',
      ' 3: 0100007F:1F90 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3 2 0000000000000000 100',
      'garbage',
    ].join('\n');
    const rows = parseProcNetUdp(text);
    assert.equal(rows.length, 3);
    assert.deepEqual(rows[1], { port: 20002, rxQueueBytes: 0x300, drops: 7 });
    assert.equal(dropsOnPorts(rows, new Set([20000, 20002])), 12);
  });

  it('attributes self time to functions inside the window only', () => {
    const frame = (functionName: string): { functionName: string; url: string; lineNumber: number } => ({
      functionName,
      url: 'file:///x/dist/media/stream.js',
      lineNumber: 9,
    });
    const p: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('ingestRtp') },
        { id: 2, callFrame: frame('read') },
      ],
      startTime: 1000,
      // samples at t = 1000, 1100, 1200, 1300 (µs); each lasts until the next
      samples: [1, 1, 2, 1],
      timeDeltas: [0, 100, 100, 100],
    };
    const all = topSelfTime(p, null);
    assert.equal(all[0]!.fn, 'ingestRtp dist/media/stream.js:10');
    assert.equal(all[0]!.selfMs, 0.2);
    const win = topSelfTime(p, { fromUs: 1150, toUs: 1250 });
    assert.deepEqual(
      win.map((s) => [s.fn.split(' ')[0], s.selfMs, s.share]),
      [['read', 0.1, 1]],
    );
  });
});
