/**
 * Statistics that cannot identify customers (HRM) and call quality as searchable fields
 * (Victoriahem), against the real daemon: imports over four days in groups small and large,
 * SIPREC calls with clean, lossy and no media, then GET /stats and GET /recordings filters
 * over real HTTPS.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { makeToneWav } from '../helpers/audio.js';
import { call, errorCode, json } from '../helpers/https.js';
import { AGENT, SiprecClient, finishedRecord, rtpRangeSet, type SiprecCall } from '../kit/index.js';

interface Imported {
  day: string;
  service: string;
  agent: string;
  direction: 'inbound' | 'outbound';
}

/**
 * Day 02: 9 calls, day 03: 7, day 04: 2, day 05: 3 (the two small days are left out; together
 * they reach the minimum of 5, so the large days stay). Services: billing 13, legal 3, repairs 3,
 * sales 2. Agent groups (72 billing, 73 support, 74 night): billing 11, support 5, night 2,
 * (other) 3.
 */
function plan(): Imported[] {
  const out: Imported[] = [];
  const push = (
    n: number,
    day: string,
    service: string,
    agent: string,
    direction: Imported['direction'],
  ): void => {
    for (let i = 0; i < n; i++) out.push({ day, service, agent: `${agent}${i}`, direction });
  };
  push(6, '02', 'billing', '720', 'inbound');
  push(3, '02', 'legal', '731', 'inbound');
  push(5, '03', 'billing', '721', 'outbound');
  push(2, '03', 'sales', '732', 'inbound');
  push(2, '04', 'billing', '740', 'inbound');
  push(3, '05', 'repairs', '990', 'inbound');
  return out;
}

describe('integration: statistics and quality search over the admin API', function () {
  this.timeout(180_000);
  let work: string;
  let sets: string[];
  let daemon: RunningDaemon;
  let base: string;
  const tokens: Record<string, string> = {};
  const numbers: string[] = [];
  const agents: string[] = [];

  before(async function () {
    this.timeout(120_000);
    work = mkdtempSync(join(tmpdir(), 'cv-stats-'));
    sets = await isolatedSets(join(work, 'storage'), [
      rtpRangeSet(),
      'api.stats_agent_groups=["billing:72","support:73","night:74"]',
    ]);
    const wav = join(work, 't.wav');
    makeToneWav(wav, 1, [440, 880]);
    let n = 0;
    for (const c of plan()) {
      const number = `+467011${String(++n).padStart(5, '0')}`;
      numbers.push(number);
      agents.push(c.agent);
      const meta = {
        number,
        agent: c.agent,
        agentName: `Agent ${c.agent}`,
        service: c.service,
        direction: c.direction,
        startedAt: `2026-03-${c.day}T10:${String(n).padStart(2, '0')}:00Z`,
      };
      const r = await ctl(sets, ['import', wav, '--meta', JSON.stringify(meta)]);
      assert.equal(r.code, 0, r.stderr);
    }
    for (const [name, role] of [
      ['sam', 'supervisor'],
      ['anna', 'agent'],
    ] as const) {
      const extra = role === 'agent' ? ['--agent', '7200'] : [];
      const r = await ctl(sets, ['users', 'add', name, '--role', role, ...extra, '--password-stdin'], {
        stdin: `${name} has a long passphrase`,
      });
      assert.equal(r.code, 0, r.stderr);
    }
    daemon = await startDaemon(sets);
    base = `${daemon.apiUrl!}/api/v1`;
    for (const name of ['sam', 'anna']) {
      const r = await call(`${base}/session`, {
        method: 'POST',
        json: { username: name, password: `${name} has a long passphrase` },
      });
      assert.equal(r.status, 200, r.body.toString());
      tokens[name] = String(json(r)['token']);
    }
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  it('counts and durations per day, service, direction and agent group; small cells absent; nothing identifying', async () => {
    const r = await call(`${base}/stats?from=2026-03-01T00:00:00Z&to=2026-03-10T00:00:00Z`, {
      token: tokens['sam'],
    });
    assert.equal(r.status, 200, r.body.toString());
    const s = json(r);
    const keys = (k: string): string[] => Object.keys(s[k] as object).sort();
    assert.equal(s['bucket'], 'day');
    assert.equal(s['calls'], 21);
    assert.equal(s['totalDurationMs'], 21_000);
    assert.deepEqual(keys('byDay'), ['2026-03-02', '2026-03-03']);
    assert.deepEqual((s['byDay'] as Record<string, unknown>)['2026-03-02'], {
      calls: 9,
      totalDurationMs: 9000,
    });
    assert.deepEqual(keys('byService'), ['billing'], 'legal, repairs and sales are under 5');
    assert.deepEqual(keys('byDirection'), ['inbound', 'outbound']);
    assert.deepEqual(keys('byAgentGroup'), ['billing', 'support']);
    assert.deepEqual((s['byAgentGroup'] as Record<string, unknown>)['support'], {
      calls: 5,
      totalDurationMs: 5000,
    });
    assert.deepEqual(s['suppressed'], { byDay: 2, byService: 3, byDirection: 0, byAgentGroup: 2 });
    assert.deepEqual(keys('qualityByDay'), ['2026-03-02', '2026-03-03']);
    const body = r.body.toString();
    for (const n of numbers)
      assert.ok(!body.includes(n) && !body.includes(n.slice(1)), `number ${n} in /stats`);
    for (const a of agents)
      assert.ok(!body.includes(`"${a}"`) && !body.includes(`Agent ${a}`), `agent ${a} in /stats`);
    console.log(
      `      21 calls: ${keys('byDay').length} days, ${keys('byService').length} service, ${keys('byAgentGroup').length} agent groups shown; suppressed ${JSON.stringify(s['suppressed'])}`,
    );
  });

  it('refuses buckets finer than a day, and agents', async () => {
    for (const bucket of ['hour', 'minute']) {
      const r = await call(`${base}/stats?bucket=${bucket}`, { token: tokens['sam'] });
      assert.equal(r.status, 400);
      assert.equal(errorCode(r), 'CV_ERR_API_BAD_QUERY');
    }
    assert.equal((await call(`${base}/stats?bucket=day`, { token: tokens['sam'] })).status, 200);
    assert.equal((await call(`${base}/stats`, { token: tokens['anna'] })).status, 403);
  });

  it('stores per-call quality from SIPREC calls; searchable by minMos, maxMos and flag; summarised per day', async () => {
    const client = await SiprecClient.to(daemon, 'udp');
    try {
      const place = async (i: number, lossPct: number | null): Promise<SiprecCall> => {
        const c = await client.call({
          streams: [
            { label: 'caller', codec: 'PCMU', toneHz: 440 },
            { label: 'agent', codec: 'PCMU', toneHz: 1000 },
          ],
          caller: { name: 'Kalle Kund', aor: `sip:+4670222000${i}@sbc.operator.example` },
          callee: AGENT,
          direction: 'inbound',
          service: 'kundtjanst',
        });
        assert.equal(await c.invite(), 200);
        if (lossPct !== null) await c.sendMedia({ durationMs: 2000, lossPct, seed: i });
        assert.equal(await c.bye(), 200);
        return c;
      };
      const calls = await Promise.all([place(1, 0), place(2, 0), place(3, 0), place(4, 20), place(5, null)]);
      const recs = [];
      for (const c of calls) recs.push(await finishedRecord(sets, daemon.logs, c.callId));
      const ids = recs.map((r) => r.id);
      const sam = tokens['sam']!;
      const get = async (q: string): Promise<{ id: string; quality: { mos: number | null } | null }[]> => {
        const r = await call(`${base}/recordings?${q}`, { token: sam });
        assert.equal(r.status, 200, r.body.toString());
        return json(r)['items'] as { id: string; quality: { mos: number | null } | null }[];
      };
      const all = await get(`from=${new Date(Date.now() - 3_600_000).toISOString()}`);
      const byId = new Map(all.map((x) => [x.id, x]));
      const mos = ids.map((id) => byId.get(id)?.quality?.mos ?? null);
      console.log(`      MOS of clean ×3, 20 % loss, no media: ${JSON.stringify(mos)}`);
      assert.ok(
        mos.slice(0, 3).every((m) => m !== null && m > 4),
        'clean calls score above 4',
      );
      assert.ok(mos[3] != null && mos[3] < mos[0]!, 'loss lowers the MOS');
      assert.equal(mos[4], null, 'no RTP: no MOS');
      const lossy = (await get(`maxMos=${mos[3]}`)).map((x) => x.id);
      assert.deepEqual(lossy, [ids[3]]);
      const good = (await get('minMos=4')).map((x) => x.id).sort();
      assert.deepEqual(good, ids.slice(0, 3).sort());
      assert.deepEqual(
        (await get('flag=no_media')).map((x) => x.id),
        [ids[4]],
      );
      const bad = await call(`${base}/recordings?minMos=abc`, { token: sam });
      assert.equal(bad.status, 400);
      assert.equal(errorCode(bad), 'CV_ERR_INDEX_BAD_QUERY');

      const cli = await ctl(sets, ['recordings', 'list', '--flag', 'no_media', '--json']);
      assert.deepEqual(
        (JSON.parse(cli.stdout) as { id: string }[]).map((x) => x.id),
        [ids[4]],
      );
      const cliLow = await ctl(sets, ['recordings', 'list', '--max-mos', String(mos[3]), '--json']);
      assert.deepEqual(
        (JSON.parse(cliLow.stdout) as { id: string }[]).map((x) => x.id),
        [ids[3]],
      );

      const today = new Date().toISOString().slice(0, 10);
      const st = json(await call(`${base}/stats`, { token: sam }));
      const q = (st['qualityByDay'] as Record<string, Record<string, number | null>>)[today]!;
      assert.deepEqual([q['calls'], q['noMedia'], q['oneWay'], q['withMos']], [5, 1, 0, 4]);
      assert.equal(q['p5Mos'], mos[3]);
      console.log(`      quality summary of ${today}: ${JSON.stringify(q)}`);
    } finally {
      await client.close();
    }
  });

  it('index rebuild restores the quality fields and the flags', async () => {
    await daemon.stop('SIGTERM');
    const before = JSON.parse((await ctl(sets, ['recordings', 'list', '--json'])).stdout) as unknown[];
    const r = await ctl(sets, ['index', 'rebuild']);
    assert.equal(r.code, 0, r.stderr);
    const after = JSON.parse((await ctl(sets, ['recordings', 'list', '--json'])).stdout) as unknown[];
    assert.deepEqual(after, before);
    const noMedia = JSON.parse(
      (await ctl(sets, ['recordings', 'list', '--flag', 'no_media', '--json'])).stdout,
    );
    assert.equal(noMedia.length, 1);
    daemon = await startDaemon(sets);
  });
});
