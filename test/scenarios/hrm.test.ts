/**
 * HRM (seed 001) end to end, as its people would use the appliance: SIPREC calls in and out,
 * personal logins, agents seeing only their own calls, statistics that identify no customer,
 * the DPO restricting and erasing through the API, 12 months' retention applied with the clock
 * moved by `retention run --at`, and at the end a scan of storage.dir: what had to go is gone.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ctl, startDaemon } from '../helpers/daemon.js';
import { call, json } from '../helpers/https.js';
import {
  filesUnder as files,
  finishedRecord,
  rtpRangeSet,
  SiprecClient,
  type RecordView,
} from '../kit/index.js';
import { scanForPersonalData } from '../helpers/shred-scan.js';
import { staffedScenario } from './staffed.js';

const DAY_MS = 86_400_000;

interface Placed {
  readonly rec: RecordView;
  readonly customer: string;
}

describe('scenario: HRM (seed 001)', function () {
  this.timeout(300_000);
  // HRM's agents have four-digit extensions: the agent rules say who is the customer.
  const sc = staffedScenario(
    'cv-hrm-',
    [rtpRangeSet(), 'policy.name=hrm', 'sip.agent_extension_max_digits=4', 'api.stats_min_group_size=2'],
    [
      ['aino', 'agent', '2001'],
      ['bertil', 'agent', '2002'],
      ['sanna', 'supervisor'],
      ['dora', 'dpo'],
    ],
  );
  const placed: Record<string, Placed> = {};

  it('records inbound and outbound calls with start, service, agent name, number (unless secret) and length', async () => {
    const client = await SiprecClient.to(sc.daemon, 'udp');
    try {
      const place = async (
        key: string,
        customer: string,
        agent: string,
        direction: 'inbound' | 'outbound',
        withheld = false,
      ): Promise<void> => {
        const cust = { name: withheld ? null : 'Kalle Kund', aor: `sip:${customer}@sbc.hsy.example` };
        const ag = { name: `Agent ${agent}`, aor: `sip:${agent}@pbx.hsy.example` };
        const c = await client.call({
          streams: [
            { label: 'caller', codec: 'PCMU', toneHz: 440 },
            { label: 'callee', codec: 'PCMU', toneHz: 1000 },
          ],
          caller: direction === 'inbound' ? cust : ag,
          callee: direction === 'inbound' ? ag : cust,
          direction: null,
          service: 'waste-collection',
          extraHeaders: withheld && direction === 'inbound' ? ['Privacy: id'] : [],
        });
        assert.equal(await c.invite(), 200, key);
        await c.sendMedia({ durationMs: 1500 });
        assert.equal(await c.bye(), 200);
        placed[key] = { rec: await finishedRecord(sc.sets, sc.daemon.logs, c.callId), customer };
      };
      await place('in', '+358401110001', '2001', 'inbound');
      await place('out', '+358401110002', '2001', 'outbound');
      await place('other', '+358401110003', '2002', 'inbound');
      await place('secret', '+358401110004', '2002', 'inbound', true);
    } finally {
      await client.close();
    }
    const show = async (key: string): Promise<Record<string, unknown>> =>
      json(await call(`${sc.base}/recordings/${placed[key]!.rec.id}`, { token: sc.tokens['sanna'] }));
    const inbound = await show('in');
    assert.equal(inbound['number'], '+358401110001');
    assert.equal(inbound['agent'], '2001');
    assert.equal(inbound['agentName'], 'Agent 2001');
    assert.equal(inbound['service'], 'waste-collection');
    assert.ok((inbound['durationMs'] as number) >= 1000 && typeof inbound['startedAt'] === 'string');
    // "Calls are also recorded when HRM's customer advisor calls a customer": with the customer's
    // number in the number field, so the customer's DSAR finds it and the agent sees their call.
    const outbound = await show('out');
    assert.equal(outbound['direction'], 'outbound');
    assert.equal(outbound['number'], '+358401110002');
    assert.equal(outbound['agent'], '2001');
    const secret = await show('secret');
    assert.equal(secret['number'], null, 'a secret number is not stored');
  });

  it('agents see only their own calls; supervisors all; statistics identify no customer', async () => {
    const ids = (r: Awaited<ReturnType<typeof call>>): string[] =>
      (json(r)['items'] as { id: string }[]).map((x) => x.id).sort();
    const aino = ids(await call(`${sc.base}/recordings`, { token: sc.tokens['aino'] }));
    assert.deepEqual(aino, [placed['in']!.rec.id, placed['out']!.rec.id].sort());
    assert.equal(
      (await call(`${sc.base}/recordings/${placed['other']!.rec.id}`, { token: sc.tokens['aino'] })).status,
      404,
    );
    assert.equal(ids(await call(`${sc.base}/recordings`, { token: sc.tokens['sanna'] })).length, 4);
    const stats = await call(`${sc.base}/stats`, { token: sc.tokens['sanna'] });
    assert.equal(stats.status, 200);
    assert.equal(json(stats)['calls'], 4);
    const body = stats.body.toString();
    for (const p of Object.values(placed)) assert.ok(!body.includes(p.customer.slice(1)), 'no number');
    assert.ok(!body.includes('"2001"') && !body.includes('Agent 2001'), 'no agent');
    assert.equal((await call(`${sc.base}/stats`, { token: sc.tokens['aino'] })).status, 403);
  });

  it('the DPO restricts (objection), erases on request; 12 months later the rest is deleted', async () => {
    const dora = sc.tokens['dora']!;
    // No consent to withdraw (statutory basis): the objection restricts the caller's recordings.
    const wd = await call(`${sc.base}/subjects/${encodeURIComponent('+358 40 111 0003')}/withdraw-consent`, {
      method: 'POST',
      token: dora,
      json: { reason: 'customer objects by letter, ref 17' },
    });
    assert.equal(wd.status, 200, wd.body.toString());
    assert.deepEqual(json(wd)['restricted'], [placed['other']!.rec.id]);
    assert.deepEqual(json(wd)['erased'], []);
    const audio = await call(
      `${sc.base}/recordings/${placed['other']!.rec.id}/audio?reason=quality%20review`,
      {
        token: sc.tokens['sanna'],
      },
    );
    assert.equal(audio.status, 423, 'restricted: nobody listens');

    const erase = await call(`${sc.base}/recordings/${placed['in']!.rec.id}`, {
      method: 'DELETE',
      token: dora,
      json: { reason: 'erasure request, identity checked, ref 18' },
    });
    assert.equal(erase.status, 200, erase.body.toString());

    const later = new Date(Date.now() + 366 * DAY_MS).toISOString();
    const run = await ctl(sc.sets, ['retention', 'run', '--at', later, '--force']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`deleted ${placed['out']!.rec.id}`));
    assert.match(run.stdout, new RegExp(`deleted ${placed['secret']!.rec.id}`));
    assert.match(run.stdout, new RegExp(`kept \\(legal hold or restriction\\) ${placed['other']!.rec.id}`));

    // What had to go is gone from storage.dir: no file named after it, nothing decryptable.
    await sc.daemon.stop('SIGTERM');
    const keyFile = join(sc.storage, 'keys', 'master.key');
    const all = files(sc.storage);
    for (const key of ['in', 'out', 'secret']) {
      const { rec, customer } = placed[key]!;
      assert.ok(!all.some((f) => f.includes(rec.id)), `${key}: a file of ${rec.id} is left`);
      const scan = scanForPersonalData(sc.storage, keyFile, rec.id, [
        customer,
        customer.slice(1),
        'Kalle Kund',
      ]);
      assert.deepEqual(scan.hits, [], `${key}: personal data left`);
    }
    assert.ok(
      all.some((f) => f.includes(placed['other']!.rec.id)),
      'the restricted recording is kept',
    );
    sc.daemon = await startDaemon(sc.sets);
  });
});
