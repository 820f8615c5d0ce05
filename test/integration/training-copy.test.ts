/**
 * Pseudonymised training copies against the real daemon (Arlo preset). An imported call whose
 * customer channel carries in-band DTMF made with sox, and a SIPREC call (consent by RFC 4733
 * digit, caller and agent named in the metadata), each copied by the DPO (API and CLI). Checked:
 * no identifier of the original in the copy's API and CLI views, its index record or its
 * decrypted container (metadata and WAV, read in-process after the daemon stops); Goertzel finds
 * the digits in the original and none in the copy; qa hears copies only while granted, never
 * originals; a supervisor under Arlo needs a grant.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_CONFIG, ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { call, errorCode, json, type Reply } from '../helpers/https.js';
import {
  AGENT,
  CALLER,
  SiprecClient,
  addUsers,
  apiBase,
  finishedRecord,
  login,
  rtpRangeSet,
} from '../kit/index.js';
import { loadConfig } from '../../agent/src/config/index.js';
import { silentLogger } from '../../agent/src/common/index.js';
import { openStorage } from '../../agent/src/storage/index.js';
import { detectDtmf, wavToChannels } from '../../agent/src/training/index.js';

const PAIRS: Record<string, [number, number]> = {
  '4': [770, 1209],
  '7': [852, 1209],
  '1': [697, 1209],
  '#': [941, 1477],
};
const KEYED = '4711#';
const NUMBER = '+46701000091';
const META = {
  number: NUMBER,
  agent: 'x2042',
  agentName: 'Agnes Agentsson',
  service: 'billing',
  caseId: 'CASE-2042-X',
  consent: 'given',
  startedAt: '2026-11-20T09:41:17Z',
};

/** A stereo call: the customer (left) keys KEYED between bits of 300 Hz "speech"; the agent (right) a 1 kHz tone. */
function soxCall(dir: string): string {
  const sox = (...args: string[]): void => {
    execFileSync('sox', args, { stdio: 'pipe', timeout: 20_000 });
  };
  const mono = ['-r', '8000', '-b', '16', '-c', '1'];
  sox('-n', ...mono, join(dir, 'talk.wav'), 'synth', '0.3', 'sin', '300', 'vol', '0.3');
  const parts = [join(dir, 'talk.wav')];
  for (const [i, d] of [...KEYED].entries()) {
    const f = join(dir, `d${i}.wav`);
    const [lo, hi] = PAIRS[d]!;
    sox('-n', ...mono, f, 'synth', '0.2', 'sin', String(lo), 'sin', String(hi), 'vol', '0.5');
    parts.push(f, join(dir, 'talk.wav'));
  }
  sox(...parts, join(dir, 'left.wav'));
  sox(join(dir, 'left.wav'), join(dir, 'right.wav'), 'synth', 'sin', '1000', 'vol', '0.2');
  sox('-M', join(dir, 'left.wav'), join(dir, 'right.wav'), join(dir, 'call.wav'));
  return join(dir, 'call.wav');
}

function digitsIn(wav: Buffer, minBlocks = 2): string[] {
  const pcm = wavToChannels(wav);
  return pcm.channels.map((ch) =>
    detectDtmf(ch, pcm.sampleRate, { minBlocks })
      .map((s) => s.digit)
      .join(''),
  );
}

/** A view without the fields that are random hex/base64 (a short secret could occur there by chance). */
function scannable(v: unknown): string {
  const { id: _i, digest: _d, signature: _s, ...rest } = v as Record<string, unknown>;
  return JSON.stringify(rest);
}

describe('integration: pseudonymised training copies (Arlo)', function () {
  this.timeout(240_000);
  let work: string;
  let daemon: RunningDaemon | undefined;
  let client: SiprecClient | undefined;
  afterEach(async () => {
    await client?.close();
    await daemon?.stop('SIGTERM');
    daemon = undefined;
    rmSync(work, { recursive: true, force: true });
  });

  it('copies without identifiers and DTMF; qa and supervisors only while granted', async () => {
    work = mkdtempSync(join(tmpdir(), 'cv-training-'));
    const sets = await isolatedSets(join(work, 'storage'), ['policy.name=arlo', rtpRangeSet()]);
    const imp = await ctl(sets, ['import', soxCall(work), '--meta', JSON.stringify(META)]);
    assert.equal(imp.code, 0, imp.stderr);
    const imported = imp.stdout.trim();
    await addUsers(sets, [
      ['dora', 'dpo'],
      ['quinn', 'qa'],
      ['sven', 'supervisor'],
      ['adam', 'admin'],
    ]);
    daemon = await startDaemon(sets);

    // A SIPREC call: consent by digit 1 (RFC 4733) on the caller's stream, parties named.
    client = await SiprecClient.to(daemon, 'udp');
    const sip = await client.call({
      streams: [
        { label: 'caller', codec: 'PCMU', toneHz: 440 },
        { label: 'agent', codec: 'PCMU', toneHz: 1000 },
      ],
      caller: CALLER,
      callee: AGENT,
      direction: 'inbound',
      service: 'kundtjanst',
    });
    assert.equal(await sip.invite(), 200);
    await sip.sendMedia({
      durationMs: 3000,
      dtmf: [{ label: 'caller', digit: '1', atMs: 300, durationMs: 200 }],
    });
    assert.equal(await sip.bye(), 200);
    const sipRec = await finishedRecord(sets, daemon.logs, sip.callId);

    const base = apiBase(daemon);
    const [dpo, qa, sup, admin] = [
      await login(base, 'dora'),
      await login(base, 'quinn'),
      await login(base, 'sven'),
      await login(base, 'adam'),
    ];
    const get = (path: string, t: string): Promise<Reply> => call(`${base}${path}`, { token: t });
    const audio = (id: string, t: string): Promise<Reply> =>
      call(`${base}/recordings/${id}/audio?reason=training%20review`, { token: t });
    const copyReq = (
      id: string,
      t: string,
      body: unknown = { reason: 'onboarding set 2027' },
    ): Promise<Reply> =>
      call(`${base}/recordings/${id}/training-copy`, { method: 'POST', token: t, json: body });

    const sipStartedAt = String(json(await get(`/recordings/${sipRec.id}`, dpo))['startedAt']);
    assert.match(sipStartedAt, /^\d{4}-/);

    // The original's audio holds the digits (the control for the check on the copy).
    const origWav = await audio(imported, dpo);
    assert.equal(origWav.status, 200);
    assert.deepEqual(digitsIn(origWav.body), [KEYED, '']);

    // Only the DPO copies; a reason is optional (the contract lists none) but a blank one is refused.
    assert.equal((await copyReq(imported, admin)).status, 403);
    assert.equal((await copyReq(imported, sup)).status, 403);
    const noReason = await copyReq(imported, dpo, { reason: ' . ' });
    assert.deepEqual([noReason.status, errorCode(noReason)], [400, 'CV_ERR_API_REASON_REQUIRED']);
    const made = await copyReq(imported, dpo);
    assert.equal(made.status, 201, made.body.toString());
    const copy = String(json(made)['id']);
    const viaCli = await ctl(sets, ['training-copy', sipRec.id, '--reason', 'onboarding set 2027']);
    assert.equal(viaCli.code, 0, viaCli.stderr);
    const sipCopy = viaCli.stdout.trim();
    const copies = [copy, sipCopy];

    // No identifier of either original in the copies' API and CLI views.
    const secrets = [
      NUMBER,
      '0701000091',
      'x2042',
      'Agnes',
      'CASE-2042',
      imported,
      '09:41',
      '2026-11-20',
      sipRec.id,
      sip.callId,
      'Kalle',
      'Anna Agent',
      '+46701234567',
      '1001',
      'operator.example',
      sipStartedAt,
    ];
    const views: string[] = [];
    for (const id of copies) {
      const api = await get(`/recordings/${id}`, dpo);
      assert.equal(api.status, 200);
      const shown = await ctl(sets, ['recordings', 'show', id, '--json']);
      assert.equal(shown.code, 0, shown.stderr);
      views.push(scannable(json(api)), scannable(JSON.parse(shown.stdout)));
      assert.deepEqual(json(api)['flags'], ['training']);
    }
    for (const s of secrets)
      for (const v of views) assert.ok(!v.includes(s), `${s} shown in a copy's view: ${v}`);

    // Goertzel finds no DTMF pair in the copy, not even one block; the agent's tone is still there.
    assert.equal((await audio(copy, qa)).status, 403, 'qa without a grant');
    assert.equal((await get('/recordings', qa)).status, 403);
    const grant = await call(`${base}/grants`, {
      method: 'POST',
      token: dpo,
      json: { user: 'quinn', until: '2099-01-01T00:00:00Z', reason: 'coaching set' },
    });
    assert.equal(grant.status, 201);
    const copyWav = await audio(copy, qa);
    assert.equal(copyWav.status, 200, copyWav.body.toString());
    assert.deepEqual(digitsIn(copyWav.body, 1), ['', '']);
    assert.equal(wavToChannels(copyWav.body).channels.length, 2);

    // qa with the grant: copies listed and heard, originals not even found.
    const qaList = json(await get('/recordings', qa))['items'] as { id: string }[];
    assert.deepEqual(qaList.map((i) => i.id).sort(), [...copies].sort());
    assert.equal((await get(`/recordings/${imported}`, qa)).status, 404);
    assert.equal((await audio(sipRec.id, qa)).status, 404);
    assert.equal((await audio(sipCopy, qa)).status, 200);
    // Revoked: the next request is refused.
    const del = await call(`${base}/grants/${String(json(grant)['id'])}`, {
      method: 'DELETE',
      token: dpo,
      json: {},
    });
    assert.equal(del.status, 200);
    assert.equal((await audio(copy, qa)).status, 403);
    assert.equal((await get('/recordings', qa)).status, 403);

    // A supervisor under Arlo: nothing without a grant, copies and calls with one.
    assert.equal((await get('/recordings', sup)).status, 403);
    assert.equal((await audio(copy, sup)).status, 403);
    const supGrant = await ctl(sets, [
      'grant',
      'add',
      'sven',
      '--until',
      '2099-01-01T00:00:00Z',
      '--reason',
      'QA lead',
    ]);
    assert.equal(supGrant.code, 0, supGrant.stderr);
    assert.equal((await audio(copy, sup)).status, 200);
    assert.equal((await get(`/recordings/${imported}`, sup)).status, 200);
    // An admin sees the calls, not the copies.
    assert.equal((await get(`/recordings/${copy}`, admin)).status, 404);
    assert.equal((await get(`/recordings/${imported}`, admin)).status, 200);

    // In-process, daemon stopped: the copies' decrypted containers and index records.
    await daemon.stop('SIGTERM');
    daemon = undefined;
    const storage = await openStorage({
      config: loadConfig({ file: DEV_CONFIG, sets }),
      log: silentLogger(),
    });
    try {
      const original = JSON.stringify((await storage.vault.openReader(imported)).metadata);
      assert.ok(
        original.includes(NUMBER) && original.includes('CASE-2042'),
        'control: the original has them',
      );
      let scanned = 0;
      for (const id of copies) {
        const reader = await storage.vault.openReader(id);
        const meta = JSON.stringify(reader.metadata);
        const record = scannable(await storage.index.getRecording(id));
        const wav = await reader.readAll();
        for (const s of secrets) {
          assert.ok(!meta.includes(s), `${s} in the container metadata of ${id}: ${meta}`);
          assert.ok(!record.includes(s), `${s} in the index record of ${id}`);
          if (s.length >= 8) assert.ok(!wav.includes(Buffer.from(s)), `${s} in the WAV of ${id}`);
          scanned++;
        }
        assert.ok((await storage.vault.verify(id)).ok);
      }
      process.stdout.write(
        `      ${copies.length} copies: ${scanned} identifier checks clean; original digits ${KEYED}, in the copy none\n`,
      );
    } finally {
      await storage.close();
    }
  });
});
