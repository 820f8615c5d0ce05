/**
 * Victoriahem (seed 000) end to end: calls to customer service recorded (outbound ones are not
 * — the notice speaks of calls to customer service), automated quality analysis through the
 * API (per-call MOS, flags, daily summary), 30 days' retention, a recording that may be evidence
 * of a crime against staff kept on legal hold, restriction and erasure by the DPO with personal
 * logins, the clock moved with `retention run --at`, and a scan of storage.dir at the end.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ctl, startDaemon } from '../helpers/daemon.js';
import { call, json } from '../helpers/https.js';
import {
  AGENT,
  filesUnder as files,
  finishedRecord,
  rtpRangeSet,
  SiprecClient,
  type RecordView,
} from '../kit/index.js';
import { scanForPersonalData } from '../helpers/shred-scan.js';
import { staffedScenario } from './staffed.js';

const DAY_MS = 86_400_000;

describe('scenario: Victoriahem (seed 000)', function () {
  this.timeout(300_000);
  const sc = staffedScenario(
    'cv-vh-',
    [
      // Not a test of load shedding: a loaded CI machine must not turn a 603 into a 503.
      'sip.overload_lag_ms=0',
      rtpRangeSet(),
      'policy.name=victoriahem',
      'api.stats_min_group_size=2',
    ],
    [
      ['sofia', 'supervisor'],
      ['dan', 'dpo'],
    ],
  );
  const recs: Record<string, RecordView> = {};
  const numbers: Record<string, string> = {};

  it('records calls to customer service, not outbound ones; quality is searchable and summarised', async () => {
    const client = await SiprecClient.to(sc.daemon, 'udp');
    try {
      const offer = (n: string, direction: 'inbound' | 'outbound') => {
        const cust = { name: 'Kund Kundsson', aor: `sip:${n}@sbc.victoriahem.example` };
        return {
          streams: [
            { label: 'caller', codec: 'PCMU' as const, toneHz: 440 },
            { label: 'agent', codec: 'PCMU' as const, toneHz: 1000 },
          ],
          caller: direction === 'inbound' ? cust : AGENT,
          callee: direction === 'inbound' ? AGENT : cust,
          direction,
          service: 'kundservice',
        };
      };
      const out = await client.call(offer('+46701300009', 'outbound'));
      assert.equal(await out.invite(), 603, 'an outbound call is not recorded');
      const place = async (key: string, n: string, lossPct: number): Promise<void> => {
        numbers[key] = n;
        const c = await client.call(offer(n, 'inbound'));
        assert.equal(await c.invite(), 200);
        await c.sendMedia({ durationMs: 1500, lossPct, seed: 7 });
        assert.equal(await c.bye(), 200);
        recs[key] = await finishedRecord(sc.sets, sc.daemon.logs, c.callId);
      };
      await place('good', '+46701300001', 0);
      await place('bad', '+46701300002', 25);
      await place('threat', '+46701300003', 0);
      await place('erase', '+46701300004', 0);
    } finally {
      await client.close();
    }
    const sofia = sc.tokens['sofia']!;
    const list = async (q: string): Promise<string[]> =>
      (json(await call(`${sc.base}/recordings?${q}`, { token: sofia }))['items'] as { id: string }[]).map(
        (x) => x.id,
      );
    assert.equal((await list('')).length, 4, 'four inbound calls, the outbound one declined');
    assert.deepEqual(await list('maxMos=3.5'), [recs['bad']!.id], 'the bad call found by its MOS');
    const stats = json(await call(`${sc.base}/stats`, { token: sofia }));
    const today = new Date().toISOString().slice(0, 10);
    const q = (stats['qualityByDay'] as Record<string, Record<string, number>>)[today]!;
    assert.equal(q['calls'], 4);
    assert.ok(q['p5Mos']! < 3.5 && q['meanMos']! > q['p5Mos']!, JSON.stringify(q));
  });

  it('legal hold for a threat against staff, restriction and erasure by the DPO; after 30 days the rest goes', async () => {
    const dan = sc.tokens['dan']!;
    const post = (path: string, body: unknown) =>
      call(`${sc.base}${path}`, { method: 'POST', token: dan, json: body });
    assert.equal(
      (
        await post(`/recordings/${recs['threat']!.id}/legal-hold`, {
          hold: true,
          reason: 'police report 2026-441',
        })
      ).status,
      200,
    );
    assert.equal(
      (
        await post(`/recordings/${recs['good']!.id}/restriction`, {
          restricted: true,
          reason: 'accuracy disputed',
        })
      ).status,
      200,
    );
    const heard = await call(`${sc.base}/recordings/${recs['good']!.id}/audio?reason=quality%20review`, {
      token: sc.tokens['sofia'],
    });
    assert.equal(heard.status, 423);
    const erased = await call(`${sc.base}/recordings/${recs['erase']!.id}`, {
      method: 'DELETE',
      token: dan,
      json: { reason: 'erasure request, identity checked' },
    });
    assert.equal(erased.status, 200, erased.body.toString());

    const run = await ctl(sc.sets, [
      'retention',
      'run',
      '--at',
      new Date(Date.now() + 31 * DAY_MS).toISOString(),
      '--force',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`deleted ${recs['bad']!.id}`));
    assert.match(run.stdout, new RegExp(`kept \\(legal hold or restriction\\) ${recs['threat']!.id}`));
    assert.match(run.stdout, new RegExp(`kept \\(legal hold or restriction\\) ${recs['good']!.id}`));

    await sc.daemon.stop('SIGTERM');
    const keyFile = join(sc.storage, 'keys', 'master.key');
    const all = files(sc.storage);
    for (const key of ['bad', 'erase']) {
      const id = recs[key]!.id;
      assert.ok(!all.some((f) => f.includes(id)), `${key}: a file of ${id} is left`);
      const n = numbers[key]!;
      assert.deepEqual(
        scanForPersonalData(sc.storage, keyFile, id, [n, n.slice(1)]).hits,
        [],
        `${key}: data left`,
      );
    }
    for (const key of ['threat', 'good'])
      assert.ok(
        all.some((f) => f.includes(recs[key]!.id)),
        `${key} is kept`,
      );
    sc.daemon = await startDaemon(sc.sets);
  });
});
