/**
 * A sealed recording stays sealed, end to end: finished recordings on legal hold are truncated
 * to 2/3, lose a middle segment, get garbage appended, or are swapped for another recording's
 * container — with the daemon stopped and with it running. Every path (CLI verify and export,
 * API audio, start-up) reports the integrity failure; the signed digest and the hold stay; the
 * audit chain and the metric record it. A call in progress does not fail `verify --all`.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ctl, startDaemon } from '../helpers/daemon.js';
import { call as httpsCall } from '../helpers/https.js';
import { storagePerTest } from '../helpers/workspace.js';
import { makeToneWav } from '../helpers/audio.js';
import { SiprecClient, customerCall, rtpRangeSet } from '../kit/index.js';
import { TAMPERS, tamper } from '../helpers/tamper.js';

interface Reply {
  status: number;
  body: string;
}

/** The admin API's reply with its body as text (the assertions quote it). */
async function https(
  url: string,
  opts: { method?: string; token?: string; json?: unknown } = {},
): Promise<Reply> {
  const r = await httpsCall(url, opts);
  return { status: r.status, body: r.body.toString() };
}

async function metricsText(sets: readonly string[]): Promise<string> {
  const listen = sets.find((s) => s.startsWith('metrics.listen='))!.split('=')[1];
  const res = await fetch(`http://${listen}/metrics`);
  return res.text();
}

function integrityCount(text: string, check: string): number {
  const m = new RegExp(
    `^callvault_recordings_integrity_failures_total\\{check="${check}"\\} (\\d+)`,
    'm',
  ).exec(text);
  return m === null ? 0 : Number(m[1]);
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return walk(p);
    return e.isFile() ? [p] : [];
  });
}

interface Shown {
  digest: string;
  legalHold: boolean;
  flags: string[];
  state: string;
}

describe('integration: integrity of finished recordings', function () {
  this.timeout(180_000);
  const ws = storagePerTest(
    'cv-integrity-',
    () => [rtpRangeSet(), 'media.rtp_timeout_ms=5000'],
    (dir) => makeToneWav(join(dir, 'tone.wav'), 10, [440, 880]),
  );
  const wav = (): string => join(ws.dir, 'tone.wav');

  function containerOf(id: string): string {
    const f = walk(join(ws.storageDir, 'recordings')).find((p) => p.endsWith(`${id}.wav.enc`));
    assert.ok(f, `container of ${id}`);
    return f;
  }

  /** Five recordings; the first four on legal hold (to be broken), the fifth swapped in. */
  async function fiveRecordings(): Promise<{ ids: string[]; digests: string[] }> {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await ctl(ws.sets, ['import', wav()]);
      assert.equal(r.code, 0, r.stderr);
      ids.push(r.stdout.trim());
    }
    for (const id of ids.slice(0, 4)) {
      const h = await ctl(ws.sets, ['hold', 'set', id, '--reason', 'case 2026-117']);
      assert.equal(h.code, 0, h.stderr);
    }
    const user = await ctl(ws.sets, ['users', 'add', 'ada', '--role', 'admin', '--password-stdin'], {
      stdin: 'ada-long-password',
    });
    assert.equal(user.code, 0, user.stderr);
    const digests: string[] = [];
    // One at a time: with no daemon each CLI run takes the storage lock.
    for (const id of ids) digests.push((await show(id)).digest);
    return { ids, digests };
  }

  async function show(id: string): Promise<Shown> {
    const r = await ctl(ws.sets, ['recordings', 'show', id, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Shown;
  }

  function breakFour(ids: readonly string[]): void {
    TAMPERS.forEach((kind, i) => tamper(kind, containerOf(ids[i]!), containerOf(ids[4]!)));
  }

  /** verify and export exit 2 for each; the index keeps digest and hold, flags it; audit has it. */
  async function assertCliReports(ids: readonly string[], digests: readonly string[]): Promise<string[]> {
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const id = ids[i]!;
      const v = await ctl(ws.sets, ['verify', id]);
      assert.equal(v.code, 2, `${TAMPERS[i]}: verify exit ${v.code} ${v.stdout}${v.stderr}`);
      codes.push(/FAILED (CV_ERR_\w+)/.exec(v.stdout)?.[1] ?? '?');
      const e = await ctl(ws.sets, [
        'export',
        id,
        '-o',
        join(ws.dir, `${id}.wav`),
        '--reason',
        'integrity check',
      ]);
      assert.equal(e.code, 2, `${TAMPERS[i]}: export exit ${e.code} ${e.stderr}`);
      const s = await show(id);
      assert.equal(s.digest, digests[i], `${TAMPERS[i]}: the signed digest stays`);
      assert.equal(s.legalHold, true, `${TAMPERS[i]}: the hold stays`);
      assert.ok(s.flags.includes('tampered'), `${TAMPERS[i]}: flagged tampered (${s.flags.join(',')})`);
    }
    const good = await ctl(ws.sets, ['verify', ids[4]!]);
    assert.equal(good.code, 0, 'the untouched recording still verifies');
    const all = await ctl(ws.sets, ['verify', '--all']);
    assert.equal(all.code, 2);
    const audit = JSON.parse((await ctl(ws.sets, ['audit', 'list', '--json'])).stdout) as {
      action: string;
      recordingId: string | null;
    }[];
    const found = audit.filter((a) => a.action === 'integrity_failure').map((a) => a.recordingId);
    assert.deepEqual([...found].sort(), ids.slice(0, 4).sort(), 'one audit entry per broken recording');
    return codes;
  }

  async function assertApiRefuses(ids: readonly string[]): Promise<string[]> {
    const base = `https://${ws.sets.find((s) => s.startsWith('api.listen='))!.split('=')[1]}/api/v1`;
    const login = await https(`${base}/session`, {
      method: 'POST',
      json: { username: 'ada', password: 'ada-long-password' },
    });
    assert.equal(login.status, 200, login.body);
    const token = String((JSON.parse(login.body) as { token: string }).token);
    const codes: string[] = [];
    for (const id of ids.slice(0, 4)) {
      const r = await https(`${base}/recordings/${id}/audio?reason=review`, { token });
      assert.equal(r.status, 500, `audio of a broken recording: ${r.status} ${r.body.slice(0, 200)}`);
      const code = (JSON.parse(r.body) as { error: { code: string } }).error.code;
      assert.match(code, /^CV_ERR_VAULT_(TRUNCATED|TAMPERED|REORDERED|DIGEST_MISMATCH)$/);
      codes.push(code);
    }
    const ok = await https(`${base}/recordings/${ids[4]}/audio?reason=review`, { token });
    assert.equal(ok.status, 200);
    return codes;
  }

  function assertStartupLogged(logs: string, ids: readonly string[]): void {
    const lines = logs
      .split('\n')
      .filter(
        (l) => l.includes('"msg":"recording failed its integrity check"') && l.includes('"check":"startup"'),
      );
    for (const id of ids.slice(0, 4))
      assert.ok(
        lines.some((l) => l.includes(id)),
        `start-up logs ${id}`,
      );
    assert.ok(/"tampered":4/.test(logs), 'the start-up summary counts them');
  }

  it('daemon stopped: CLI verify/export exit 2, start-up logs and counts it, API audio refuses', async () => {
    const { ids, digests } = await fiveRecordings();
    breakFour(ids);
    const cliCodes = await assertCliReports(ids, digests);
    ws.daemon = await startDaemon(ws.sets);
    assertStartupLogged(ws.daemon.logs(), ids);
    assert.equal(integrityCount(await metricsText(ws.sets), 'startup'), 4);
    const apiCodes = await assertApiRefuses(ids);
    assert.equal(integrityCount(await metricsText(ws.sets), 'audio'), 4);
    for (const [i, id] of ids.slice(0, 4).entries()) assert.equal((await show(id)).digest, digests[i]);
    console.log(
      `      stopped: verify ${TAMPERS.map((k, i) => `${k}=${cliCodes[i]}`).join(' ')}; api ${apiCodes.join(',')}`,
    );
  });

  it('daemon running: a call in progress does not fail verify --all; broken ones are reported everywhere', async () => {
    ws.daemon = await startDaemon(ws.sets);
    const { ids, digests } = await fiveRecordings();
    const client = await SiprecClient.to(ws.daemon, 'udp');
    try {
      const call = await client.call(customerCall('+46701234567', 'kundtjanst'));
      assert.equal(await call.invite(), 200);
      const media = call.sendMedia({ durationMs: 6000 });
      let active = 0;
      for (let i = 0; i < 100 && active === 0; i++) {
        const st = JSON.parse((await ctl(ws.sets, ['status', '--json'])).stdout || '{}') as {
          activeRecordings?: number;
        };
        active = st.activeRecordings ?? 0;
        if (active === 0) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(active, 1, 'the call is being recorded');
      const all = await ctl(ws.sets, ['verify', '--all']);
      assert.equal(all.code, 0, `verify --all during a call: ${all.stdout}${all.stderr}`);
      assert.match(all.stdout, /IN PROGRESS/);
      assert.match(all.stderr, /5 verified, 0 failed, 1 in progress/);
      await media;
      assert.equal(await call.bye(), 200);
    } finally {
      await client.close();
    }
    breakFour(ids);
    const cliCodes = await assertCliReports(ids, digests);
    const metrics = await metricsText(ws.sets);
    assert.ok(integrityCount(metrics, 'verify') >= 4, 'the metric counts them');
    assert.equal(integrityCount(metrics, 'export'), 4);
    const apiCodes = await assertApiRefuses(ids);
    assert.equal(await ws.daemon.stop('SIGTERM'), 0);
    ws.daemon = await startDaemon(ws.sets);
    assertStartupLogged(ws.daemon.logs(), ids);
    assert.equal(integrityCount(await metricsText(ws.sets), 'startup'), 4);
    for (const [i, id] of ids.slice(0, 4).entries()) {
      const s = await show(id);
      assert.equal(s.digest, digests[i]);
      assert.equal(s.legalHold, true);
    }
    console.log(
      `      running: verify ${TAMPERS.map((k, i) => `${k}=${cliCodes[i]}`).join(' ')}; api ${apiCodes.join(',')}`,
    );
  });
});
