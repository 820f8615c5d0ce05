/**
 * The DPO's write paths over the admin API against the real daemon: only the dpo role, a
 * reason where one is needed, and what they set survives `callvaultctl index rebuild`.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon } from '../helpers/daemon.js';
import { call as httpsCall } from '../helpers/https.js';
import { dirPerTest } from '../helpers/workspace.js';
import { makeToneWav } from '../helpers/audio.js';
import { addUsers, apiBase, importRecording } from '../kit/index.js';

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

/** The admin API's reply with its JSON body parsed ({} when empty). */
async function call(
  url: string,
  opts: { method?: string; token?: string; json?: unknown } = {},
): Promise<Reply> {
  const r = await httpsCall(url, opts);
  const text = r.body.toString();
  return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('integration: DPO actions over the admin API', function () {
  this.timeout(90_000);
  const ws = dirPerTest('cv-apidpo-', 'SIGTERM');

  it('hold, restriction and case set by the DPO over the API survive index rebuild', async () => {
    const sets = await isolatedSets(join(ws.dir, 'storage'));
    const wav = join(ws.dir, 't.wav');
    makeToneWav(wav, 1, [440, 880]);
    const ids: string[] = [];
    for (const number of ['+46701000031', '+46701000032', '+46701000033'])
      ids.push(await importRecording(sets, wav, { number, agent: '31' }));
    await addUsers(sets, [
      ['dora', 'dpo'],
      ['sam', 'supervisor'],
    ]);
    ws.daemon = await startDaemon(sets);
    const base = apiBase(ws.daemon);
    const token = async (name: string): Promise<string> =>
      String(
        (
          await call(`${base}/session`, {
            method: 'POST',
            json: { username: name, password: `${name}-long-password` },
          })
        ).body['token'],
      );
    const dpo = await token('dora');
    const sup = await token('sam');
    const [held, restricted, cased] = ids as [string, string, string];

    const hold = { method: 'POST', json: { hold: true, reason: 'police investigation 2026/5' } };
    assert.equal((await call(`${base}/recordings/${held}/legal-hold`, { ...hold, token: sup })).status, 403);
    assert.equal(
      (
        await call(`${base}/recordings/${held}/legal-hold`, {
          method: 'POST',
          token: dpo,
          json: { hold: true },
        })
      ).status,
      400,
      'a reason is required',
    );
    assert.equal((await call(`${base}/recordings/${held}/legal-hold`, { ...hold, token: dpo })).status, 200);
    const restrict = { method: 'POST', token: dpo, json: { restricted: true, reason: 'accuracy disputed' } };
    assert.equal((await call(`${base}/recordings/${restricted}/restriction`, restrict)).status, 200);
    const link = { method: 'PUT', token: dpo, json: { caseId: 'API-CASE-1' } };
    assert.equal((await call(`${base}/recordings/${cased}/case`, link)).status, 200);
    const close = { method: 'POST', token: dpo, json: { closedAt: '2027-01-01T00:00:00Z' } };
    assert.equal((await call(`${base}/cases/API-CASE-1/close`, close)).status, 200);
    assert.equal((await call(`${base}/cases/NO-SUCH-CASE/close`, close)).status, 404);

    const view = async (): Promise<unknown[]> => {
      const out: unknown[] = [];
      for (const id of ids) {
        const b = (await call(`${base}/recordings/${id}`, { token: sup })).body;
        out.push([b['legalHold'], b['restricted'], b['caseId'], b['caseClosedAt'], b['expiresAt']]);
      }
      return out;
    };
    const before = await view();
    assert.deepEqual(
      before.slice(0, 2).map((v) => (v as unknown[]).slice(0, 2)),
      [
        [true, false],
        [false, true],
      ],
    );
    assert.deepEqual((before[2] as unknown[]).slice(2, 4), ['API-CASE-1', '2027-01-01T00:00:00.000Z']);
    await ws.daemon.stop('SIGTERM');
    ws.daemon = undefined;
    const rebuilt = await ctl(sets, ['index', 'rebuild']);
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    ws.daemon = await startDaemon(sets);
    const sup2 = await token('sam');
    const after: unknown[] = [];
    for (const id of ids) {
      const b = (await call(`${base}/recordings/${id}`, { token: sup2 })).body;
      after.push([b['legalHold'], b['restricted'], b['caseId'], b['caseClosedAt'], b['expiresAt']]);
    }
    assert.deepEqual(after, before);
  });
});
