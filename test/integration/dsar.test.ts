/**
 * DSAR export on real storage with two data subjects: the archive of subject A (asked for in a
 * national spelling) holds exactly A's recordings, its manifest is valid against
 * docs/dsar-manifest.schema.json, and every audio file is byte-identical to `callvaultctl export`.
 * Through the CLI with and without the daemon, and through the API over real HTTPS. A malformed
 * number is refused (exit 1 / 400) and the refusal audited.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TarFollower } from '../../agent/src/common/index.js';
import { ROOT, ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { makeToneWav } from '../helpers/audio.js';
import { call, errorCode, json, type Reply } from '../helpers/https.js';
import { validate } from '../helpers/json-schema.js';

const SCHEMA = JSON.parse(readFileSync(join(ROOT, 'docs', 'dsar-manifest.schema.json'), 'utf8')) as Record<
  string,
  unknown
>;
const REASON = 'identity checked: passport shown at the desk, ticket 4711';

interface Manifest {
  subject: { number: string };
  recordingCount: number;
  recordings: { id: string; number: string; audioFile: string | null; audioSha256: string | null }[];
}

/** The files of a ustar archive (our writer's own follower: what a reader of the stream sees). */
function untar(archive: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer[]>();
  const f = new TarFollower({
    wantData: () => true,
    onEntry: (e) => files.set(e.path, []),
    onData: (e, chunk) => files.get(e.path)!.push(Buffer.from(chunk)),
  });
  f.push(archive);
  return new Map([...files].map(([k, v]) => [k, Buffer.concat(v)]));
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('integration: DSAR export', function () {
  this.timeout(180_000);
  let work: string;
  let sets: string[];
  let daemon: RunningDaemon | undefined;
  let aIds: string[];
  let bIds: string[];

  async function imp(file: string, meta: Record<string, unknown>): Promise<string> {
    const r = await ctl(sets, ['import', file, '--meta', JSON.stringify(meta)]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  }

  /** What `callvaultctl export` writes for each id. */
  async function exported(ids: readonly string[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    for (const id of ids) {
      const file = join(work, `${id}.export.wav`);
      const r = await ctl(sets, ['export', id, '-o', file, '--reason', 'reference copy for the test']);
      assert.equal(r.code, 0, r.stderr);
      out.set(id, readFileSync(file));
    }
    return out;
  }

  /** The archive holds exactly A's recordings, valid manifest, audio identical to `export`. */
  function checkArchive(archive: Buffer, reference: Map<string, Buffer>): void {
    const files = untar(archive);
    const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as Manifest;
    assert.deepEqual(validate(SCHEMA, manifest), [], 'manifest valid against the schema');
    assert.equal(manifest.subject.number, '+46701234567');
    assert.deepEqual(manifest.recordings.map((r) => r.id).sort(), [...aIds].sort());
    assert.equal(manifest.recordingCount, aIds.length);
    for (const id of bIds) assert.ok(!archive.includes(Buffer.from(id)), `B's ${id} absent`);
    assert.ok(!archive.includes(Buffer.from('+46709876543')), "B's number absent");
    assert.ok(!archive.includes(Buffer.from('Bertil Agent')), "the agent's name absent");
    assert.deepEqual(
      [...files.keys()].sort(),
      ['manifest.json', ...aIds.map((id) => `audio/${id}.wav`)].sort(),
    );
    for (const r of manifest.recordings) {
      const audio = files.get(r.audioFile!)!;
      assert.ok(audio.equals(reference.get(r.id)!), `${r.id}: byte-identical to export`);
      assert.equal(sha256(audio), r.audioSha256);
      assert.equal(r.number, '+46701234567');
    }
    process.stdout.write(
      `      archive: ${archive.length} bytes, ${manifest.recordings.length} recordings of A, ${bIds.length} of B absent\n`,
    );
  }

  async function refusedAudits(): Promise<number> {
    const list = JSON.parse((await ctl(sets, ['audit', 'list', '--json'])).stdout) as {
      action: string;
      detail: { outcome?: string; code?: string } | null;
    }[];
    return list.filter((e) => e.action === 'dsar_export' && e.detail?.outcome === 'refused').length;
  }

  beforeEach(async () => {
    work = mkdtempSync(join(tmpdir(), 'cv-dsar-'));
    // hrm records outbound calls; withdrawal erases here by override (hrm itself restricts).
    sets = await isolatedSets(join(work, 'storage'), [
      'sip.default_country=SE',
      'policy.withdraw_consent_erases=true',
    ]);
    const tone = join(work, 'a.wav');
    makeToneWav(tone, 1, [440, 880]);
    const tone2 = join(work, 'b.wav');
    makeToneWav(tone2, 2, [300, 1200]);
    const agent = { agent: '1001', agentName: 'Bertil Agent', service: 'billing' };
    aIds = [
      await imp(tone, { ...agent, number: '+46701234567', startedAt: '2026-11-01T09:00:00Z' }),
      // A national spelling at ingest lands on the same subject.
      await imp(tone2, { ...agent, number: '070-123 45 67', direction: 'outbound' }),
    ];
    bIds = [
      await imp(tone, { ...agent, number: '+46709876543' }),
      await imp(tone2, { ...agent, number: '0046 70 987 65 43' }),
    ];
  });
  afterEach(async () => {
    await daemon?.stop('SIGTERM');
    daemon = undefined;
    rmSync(work, { recursive: true, force: true });
  });

  it('CLI without the daemon: national spelling, exactly A, audio as export; malformed → exit 1, audited', async () => {
    const reference = await exported(aIds);
    const search = await ctl(sets, ['recordings', 'search', '--number', '070-123 45 67', '--json']);
    assert.equal(search.code, 0, search.stderr);
    assert.deepEqual(
      (JSON.parse(search.stdout) as { id: string }[]).map((r) => r.id).sort(),
      [...aIds].sort(),
    );

    const out = join(work, 'a.tar');
    const r = await ctl(sets, ['dsar', 'export', '070-123 45 67', '-o', out, '--reason', REASON]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /dsar: audio 2\/2/);
    checkArchive(readFileSync(out), reference);
    const tar = spawnSync('tar', ['-tf', out], { encoding: 'utf8' });
    if (tar.status !== null && tar.error === undefined) {
      assert.equal(tar.status, 0, tar.stderr);
      assert.deepEqual(
        tar.stdout.trim().split('\n').sort(),
        ['manifest.json', ...aIds.map((id) => `audio/${id}.wav`)].sort(),
      );
    }

    const audits = JSON.parse((await ctl(sets, ['audit', 'list', '--json'])).stdout) as {
      action: string;
      reason: string | null;
      detail: { outcome?: string; recordings?: number } | null;
    }[];
    const done = audits.filter((e) => e.action === 'dsar_export' && e.detail?.outcome === 'exported');
    assert.equal(done.length, 1);
    assert.equal(done[0]!.reason, REASON);
    assert.equal(done[0]!.detail!.recordings, 2);

    for (const bad of ['070-ABC 45 67', '0701', '701234567']) {
      const refused = await ctl(sets, ['dsar', 'export', bad, '-o', join(work, 'x.tar'), '--reason', REASON]);
      assert.equal(refused.code, 1, `${bad}: ${refused.stderr}`);
      assert.match(refused.stderr, /CV_ERR_NUMBER_(MALFORMED|AMBIGUOUS)/);
    }
    assert.equal(await refusedAudits(), 3);
    const withdraw = await ctl(sets, ['consent', 'withdraw', '70-123', '--reason', 'caller asked by phone']);
    assert.equal(withdraw.code, 1, 'an ambiguous number erases nothing and says so');
    assert.match(withdraw.stderr, /CV_ERR_NUMBER_AMBIGUOUS/);
    const national = await ctl(sets, [
      'consent',
      'withdraw',
      '070-987 65 43',
      '--reason',
      'caller asked by phone',
    ]);
    assert.equal(national.code, 0, national.stderr);
    assert.match(national.stderr, /2 recording\(s\) erased/);
  });

  it('through the daemon: CLI and HTTPS API give the same archive content; malformed → 400, audited', async () => {
    const reference = await exported(aIds);
    for (const [name, role] of [
      ['dora', 'dpo'],
      ['sven', 'supervisor'],
    ] as const) {
      const u = await ctl(sets, ['users', 'add', name, '--role', role, '--password-stdin'], {
        stdin: `${name} has a long passphrase`,
      });
      assert.equal(u.code, 0, u.stderr);
    }
    daemon = await startDaemon(sets);
    const out = join(work, 'a.tar');
    const r = await ctl(sets, ['dsar', 'export', '+46 70 123 45 67', '-o', out, '--reason', REASON]);
    assert.equal(r.code, 0, r.stderr);
    checkArchive(readFileSync(out), reference);
    // An archive already there is kept unless --force (a second request must not silently
    // replace the copy a DPO may already have sent).
    const firstCopy = readFileSync(out);
    const again = await ctl(sets, ['dsar', 'export', '+46 70 123 45 67', '-o', out, '--reason', REASON]);
    assert.equal(again.code, 1, again.stderr);
    assert.match(again.stderr, /--force/);
    assert.ok(readFileSync(out).equals(firstCopy));
    const forced = await ctl(sets, [
      'dsar',
      'export',
      '+46 70 123 45 67',
      '-o',
      out,
      '--reason',
      REASON,
      '--force',
    ]);
    assert.equal(forced.code, 0, forced.stderr);
    checkArchive(readFileSync(out), reference);

    const base = `https://${sets.find((s) => s.startsWith('api.listen='))!.split('=')[1]}/api/v1`;
    const login = async (name: string): Promise<string> => {
      const l = await call(`${base}/session`, {
        method: 'POST',
        json: { username: name, password: `${name} has a long passphrase` },
      });
      assert.equal(l.status, 200, l.body.toString());
      return String(json(l)['token']);
    };
    const dpo = await login('dora');
    const url = (n: string, reason = REASON): string =>
      `${base}/subjects/${encodeURIComponent(n)}/export?reason=${encodeURIComponent(reason)}`;
    const ok = await call(url('070-123 45 67'), { token: dpo });
    assert.equal(ok.status, 200, ok.body.toString());
    assert.equal(ok.headers['content-type'], 'application/x-tar');
    assert.ok(ok.complete);
    checkArchive(ok.body, reference);
    // Audio left the appliance three times: two CLI archives through the daemon (the CLI acts
    // as admin), one over the API by the DPO; a refused second copy is not an access.
    const listen = sets.find((s) => s.startsWith('metrics.listen='))!.split('=')[1];
    const scraped = await (await fetch(`http://${listen}/metrics`)).text();
    const accesses = (role: string): number =>
      Number(
        scraped.match(new RegExp(`^callvault_audio_accesses_total\\{role="${role}"\\} (\\d+)$`, 'm'))?.[1] ??
          0,
      );
    process.stdout.write(`      audio accesses: admin ${accesses('admin')}, dpo ${accesses('dpo')}\n`);
    assert.equal(accesses('admin'), 2);
    assert.equal(accesses('dpo'), 1);

    const sup = await call(url('070-123 45 67'), { token: await login('sven') });
    assert.equal(sup.status, 403);
    const noReason = await call(url('070-123 45 67', ' . '), { token: dpo });
    assert.equal(noReason.status, 400);
    assert.equal(errorCode(noReason), 'CV_ERR_API_REASON_REQUIRED');
    const before = await refusedAudits();
    const bad = await call(url('070-ABC 45 67'), { token: dpo });
    assert.equal(bad.status, 400);
    assert.equal(errorCode(bad), 'CV_ERR_NUMBER_MALFORMED');
    const ambiguous = await call(url('701234567'), { token: dpo });
    assert.equal(ambiguous.status, 400);
    assert.equal(errorCode(ambiguous), 'CV_ERR_NUMBER_AMBIGUOUS');
    assert.equal((await refusedAudits()) - before, 2);

    const wd = (n: string): Promise<Reply> =>
      call(`${base}/subjects/${encodeURIComponent(n)}/withdraw-consent`, {
        method: 'POST',
        token: dpo,
        json: { reason: 'caller withdrew consent by phone' },
      });
    const badWd = await wd('070-98x 65 43');
    assert.equal(badWd.status, 400);
    assert.equal(errorCode(badWd), 'CV_ERR_NUMBER_MALFORMED');
    const okWd = await wd('070-987 65 43');
    assert.equal(okWd.status, 200, okWd.body.toString());
    assert.deepEqual((json(okWd)['erased'] as string[]).sort(), [...bIds].sort());
    const after = await call(url('+46709876543'), { token: dpo });
    assert.equal(after.status, 200);
    assert.equal(
      (JSON.parse(untar(after.body).get('manifest.json')!.toString()) as Manifest).recordingCount,
      0,
    );
  });
});
