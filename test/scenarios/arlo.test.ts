/**
 * Arlo's call-recording notice (seed 004), end to end against the real daemon with the `arlo`
 * preset, the DPO working through the API with a personal login:
 * - recording only with consent: digit 1 on the caller's stream records, digit 2 leaves nothing;
 * - access password-protected (no token → 401) and never without a reason (400);
 * - access granted by the DPO: a supervisor and a qa account see nothing until granted, qa only
 *   pseudonymised training copies; a revoked grant stops at the next request;
 * - withdrawn consent erases the caller's recordings;
 * - 90 days, then deleted automatically (`retention run --at` moves the clock); a training copy
 *   has its own 90 days from the day it was made;
 * and ends with a scan of storage.dir: no file of any deleted recording, and none of the
 * callers' numbers recoverable with the master key.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_CONFIG, ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { makeToneWav } from '../helpers/audio.js';
import { call, errorCode, json, type Reply } from '../helpers/https.js';
import {
  AGENT,
  SiprecClient,
  addUsers,
  apiBase,
  finishedRecord,
  importRecording,
  recordingIdFromLogs,
  rtpRangeSet,
} from '../kit/index.js';
import { scanForPersonalData } from '../helpers/shred-scan.js';
import { loadConfig } from '../../agent/src/config/index.js';

const DAY_MS = 86_400_000;
const OLD = '+46701110001';
const RECENT = '+46701110002';
const CONSENTING = '+46701110003';
const DECLINING = '+46701110004';

function filesNaming(root: string, id: string): string[] {
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.includes(id))
    .map((e) => join(e.parentPath, e.name));
}

describe('scenario: Arlo (consent, DPO grants, training copies, withdrawal, 90 days)', function () {
  this.timeout(300_000);
  let work: string;
  let daemon: RunningDaemon | undefined;
  let client: SiprecClient | undefined;
  after(async () => {
    await client?.close();
    await daemon?.stop('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });

  it('every duty of the notice, through the API and the CLI', async () => {
    work = mkdtempSync(join(tmpdir(), 'cv-arlo-'));
    const storageDir = join(work, 'storage');
    const sets = await isolatedSets(storageDir, ['policy.name=arlo', rtpRangeSet()]);
    const wav = join(work, 'call.wav');
    makeToneWav(wav, 2, [440, 1000]);
    const now = Date.now();
    // Legacy calls migrated with their consent: one 60 days old, one 10 days old.
    const imported: Record<string, string> = {};
    for (const [number, ageDays] of [
      [OLD, 60],
      [RECENT, 10],
    ] as const) {
      const meta = {
        number,
        agent: '2001',
        service: 'support',
        consent: 'given',
        startedAt: new Date(now - ageDays * DAY_MS).toISOString(),
      };
      imported[number] = await importRecording(sets, wav, meta);
    }
    await addUsers(sets, [
      ['dora', 'dpo'],
      ['sven', 'supervisor'],
      ['quinn', 'qa'],
      ['adam', 'admin'],
    ]);
    daemon = await startDaemon(sets);
    const logs = daemon.logs;

    // Consent: 1 on the caller's stream records; 2 leaves nothing.
    client = await SiprecClient.to(daemon, 'udp');
    const place = async (number: string, digit: string) => {
      const c = await client!.call({
        streams: [
          { label: 'caller', codec: 'PCMA', toneHz: 440 },
          { label: 'agent', codec: 'PCMA', toneHz: 1000 },
        ],
        caller: { name: null, aor: `sip:${number}@sbc.operator.example` },
        callee: AGENT,
        direction: 'inbound',
        service: 'support',
      });
      assert.equal(await c.invite(), 200);
      await c.sendMedia({ durationMs: 2500, dtmf: [{ label: 'caller', digit, atMs: 300, durationMs: 200 }] });
      assert.equal(await c.bye(), 200);
      return c;
    };
    const consented = await place(CONSENTING, '1');
    const declined = await place(DECLINING, '2');
    const recorded = (await finishedRecord(sets, logs, consented.callId)).id;

    const base = apiBase(daemon);
    const login = async (name: string, password = `${name}-long-password`): Promise<Reply> =>
      call(`${base}/session`, { method: 'POST', json: { username: name, password } });
    const token = async (name: string): Promise<string> => String(json(await login(name))['token']);
    const [dpo, sup, qa] = [await token('dora'), await token('sven'), await token('quinn')];
    const get = (path: string, t?: string): Promise<Reply> =>
      call(`${base}${path}`, t === undefined ? {} : { token: t });
    const post = (path: string, t: string, body: unknown): Promise<Reply> =>
      call(`${base}${path}`, { method: 'POST', token: t, json: body });
    const listed = async (t: string): Promise<string[]> =>
      ((json(await get('/recordings?limit=1000', t))['items'] as { id: string }[]) ?? [])
        .map((i) => i.id)
        .sort();

    // The declined call left nothing: the DPO sees exactly the two imports and the consented call.
    const all = [imported[OLD]!, imported[RECENT]!, recorded].sort();
    assert.deepEqual(await listed(dpo), all);
    const declinedId = recordingIdFromLogs(logs(), declined.callId);
    if (declinedId !== null) {
      assert.equal((await get(`/recordings/${declinedId}`, dpo)).status, 404);
      assert.deepEqual(filesNaming(storageDir, declinedId), []);
    }

    // Password-protected, personal logins.
    assert.equal((await get('/recordings')).status, 401);
    assert.equal((await login('sven', 'not-his-password')).status, 401);

    // Access granted by the DPO: the supervisor sees nothing before, and never without a reason.
    assert.equal((await get('/recordings', sup)).status, 403);
    const supGrant = await post('/grants', dpo, {
      user: 'sven',
      until: new Date(now + 30 * DAY_MS).toISOString(),
      reason: 'QA lead, spring review',
    });
    assert.equal(supGrant.status, 201, supGrant.body.toString());
    assert.deepEqual(await listed(sup), all);
    const noReason = await get(`/recordings/${recorded}/audio`, sup);
    assert.deepEqual([noReason.status, errorCode(noReason)], [400, 'CV_ERR_API_REASON_REQUIRED']);
    assert.equal((await get(`/recordings/${recorded}/audio?reason=coaching%20call%2012`, sup)).status, 200);

    // Training: a pseudonymised copy of the old call; qa sees that copy only, once granted.
    const made = await post(`/recordings/${imported[OLD]}/training-copy`, dpo, { reason: 'onboarding set' });
    assert.equal(made.status, 201, made.body.toString());
    const copy = String(json(made)['id']);
    assert.equal((await get('/recordings', qa)).status, 403);
    const qaGrant = await post('/grants', dpo, {
      user: 'quinn',
      until: new Date(now + 200 * DAY_MS).toISOString(),
      reason: 'trainer for the onboarding set',
    });
    assert.equal(qaGrant.status, 201);
    assert.deepEqual(await listed(qa), [copy]);
    assert.equal((await get(`/recordings/${copy}/audio?reason=onboarding%20session`, qa)).status, 200);
    assert.equal(
      (await get(`/recordings/${imported[OLD]}/audio?reason=onboarding%20session`, qa)).status,
      404,
    );
    const copyView = json(await get(`/recordings/${copy}`, dpo));
    assert.deepEqual([copyView['number'], copyView['agent'], copyView['flags']], [null, null, ['training']]);

    // Consent withdrawn: the caller's recording is removed from the system.
    const wd = await post(`/subjects/${encodeURIComponent(CONSENTING)}/withdraw-consent`, dpo, {
      reason: 'caller phoned in, ticket 5531',
    });
    assert.equal(wd.status, 200, wd.body.toString());
    assert.deepEqual(json(wd)['erased'], [recorded]);
    assert.equal((await get(`/recordings/${recorded}`, dpo)).status, 404);

    // 90 days, then deleted automatically: the clock moved with retention run --at.
    const runAt = async (days: number): Promise<{ deleted: string[] }> => {
      const at = new Date(now + days * DAY_MS).toISOString();
      const r = await ctl(sets, ['retention', 'run', '--at', at, '--force', '--json']);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as { deleted: string[] };
    };
    // Day +31: the 60-day-old call is past 90 days; the copy made today is not.
    assert.deepEqual((await runAt(31)).deleted, [imported[OLD]]);
    assert.equal((await get(`/recordings/${copy}`, dpo)).status, 200, 'the copy has its own retention');
    // Control for the final scan: while the recent call exists, its number is found with the master key.
    const keyFile = loadConfig({ file: DEV_CONFIG, sets }).keys.master_key_file;
    const control = scanForPersonalData(storageDir, keyFile, imported[RECENT]!, [RECENT]);
    assert.ok(control.hits.length > 0 && control.dataKeys > 0, `control scan: ${JSON.stringify(control)}`);
    // Day +91: the recent call and the copy are past their 90 days too.
    assert.deepEqual((await runAt(91)).deleted.sort(), [imported[RECENT]!, copy].sort());
    assert.deepEqual(await listed(dpo), []);

    // A revoked grant stops at the next request.
    const revoke = await call(`${base}/grants/${String(json(qaGrant)['id'])}`, {
      method: 'DELETE',
      token: dpo,
      json: { reason: 'onboarding finished' },
    });
    assert.equal(revoke.status, 200);
    assert.equal((await get('/recordings', qa)).status, 403);
    assert.equal((await ctl(sets, ['audit', 'verify'])).code, 0);

    // What had to go is gone: no file of any deleted recording, no number recoverable.
    await daemon.stop('SIGTERM');
    daemon = undefined;
    const gone = [...all, copy, ...(declinedId === null ? [] : [declinedId])];
    for (const id of gone) assert.deepEqual(filesNaming(storageDir, id), [], id);
    const containers = readdirSync(storageDir, { recursive: true }).filter((n) =>
      String(n).endsWith('.wav.enc'),
    );
    assert.deepEqual(containers, []);
    const needles = [OLD, RECENT, CONSENTING, DECLINING];
    let files = 0;
    for (const id of gone) {
      const scan = scanForPersonalData(storageDir, keyFile, id, needles);
      assert.deepEqual(scan.hits, [], id);
      assert.equal(scan.dataKeys, 0, id);
      files = scan.files;
    }
    process.stdout.write(
      `      arlo: ${gone.length} recordings gone, ${files} files under storage.dir scanned for ${needles.length} numbers: none found\n`,
    );
  });
});
