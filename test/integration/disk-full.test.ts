/**
 * Disk full mid-call on a real small file system (tmpfs, needs root; skipped with the reason
 * otherwise): the daemon ends the call, finalises what was flushed and indexes it at once,
 * flagged recovered — while it keeps running, not at the next start.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { SiprecClient, customerCall, finishedRecord, rtpRangeSet } from '../kit/index.js';
import { until } from '../helpers/until.js';

describe('integration: disk full mid-call', function () {
  this.timeout(90_000);
  let work: string;
  let mnt: string | undefined;
  let daemon: RunningDaemon | undefined;
  let client: SiprecClient | undefined;

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'cv-diskfull-'));
  });
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await daemon?.stop('SIGKILL');
    daemon = undefined;
    if (mnt !== undefined) {
      try {
        execFileSync('umount', [mnt], { stdio: 'ignore' });
      } catch {
        // left for the OS temp cleaner
      }
      mnt = undefined;
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('finalises and indexes the flushed part at once (state recovered), no restart', async function () {
    const m = join(work, 'small');
    mkdirSync(m);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', m], { stdio: 'ignore' });
    } catch {
      this.skip(); // needs root and mount permission for a real ENOSPC (tmpfs of 16 MiB)
    }
    mnt = m;
    // min_free_bytes 0: the storage-low path (which ends calls cleanly) must not pre-empt ENOSPC.
    const sets = await isolatedSets(join(m, 'storage'), [rtpRangeSet(), 'storage.min_free_bytes=0']);
    daemon = await startDaemon(sets);
    client = await SiprecClient.to(daemon, 'udp');
    const call = await client.call(customerCall('+46701112299', 'faults'));
    assert.equal(await call.invite(), 200);
    const media = call.sendMedia({ durationMs: 15_000 });
    await until(() => /"msg":"call answered"/.test(daemon!.logs()), 'call answered', 10_000);
    await new Promise((r) => setTimeout(r, 3000));
    const st = statfsSync(m);
    // Room for about one 2 s segment (64 000 bytes) plus the final record and the index write.
    writeFileSync(
      join(m, 'filler'),
      Buffer.alloc(Math.max(0, Number(st.bavail) * Number(st.bsize) - 96 * 1024)),
    );
    const rec = await finishedRecord(sets, daemon.logs, call.callId, 20_000);
    assert.equal(rec.state, 'recovered');
    assert.ok(rec.flags.includes('recovered'), rec.flags.join(','));
    assert.ok(rec.durationMs >= 1000 && rec.durationMs < 15_000, `duration ${rec.durationMs}`);
    assert.match(daemon.logs(), /"msg":"recording finalised after a write failure"/);
    const v = await ctl(sets, ['verify', rec.id]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    await media;
    // The monitoring side of it: counted as failed, and as written and recovered.
    const text = await (await fetch(daemon.metricsUrl!)).text();
    assert.match(text, /^callvault_recordings_failed_total\{reason="disk_full"\} 1$/m);
    assert.match(text, /^callvault_recordings_written_total\{source="siprec"\} 1$/m);
    assert.match(text, /^callvault_recordings_recovered_total 1$/m);
    console.log(
      `      disk full: recording ${rec.durationMs} ms of 15 000 sent, state ${rec.state}, verify OK`,
    );
  });
});
