/**
 * Retention, legal hold and consent withdrawal through callvaultctl on real storage: deletion
 * is real (file and key gone, index entry gone), held recordings survive, all of it audited.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets } from '../helpers/daemon.js';
import { makeToneWav } from '../helpers/audio.js';

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe('integration: retention, legal hold, consent withdrawal', function () {
  this.timeout(90_000);
  let work: string;
  let storage: string;
  let sets: string[];
  let wav: string;
  beforeEach(async () => {
    work = mkdtempSync(join(tmpdir(), 'cv-ret-'));
    storage = join(work, 'storage');
    sets = await isolatedSets(storage);
    wav = join(work, 't.wav');
    makeToneWav(wav, 1, [440, 880]);
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  async function imp(meta: Record<string, unknown>, extraSets: string[] = []): Promise<string> {
    const r = await ctl([...sets, ...extraSets], ['import', wav, '--meta', JSON.stringify(meta)]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  }

  it('deletes expired recordings for real, keeps held ones until released', async () => {
    const old = await imp({ number: '+46701000001', startedAt: '2025-01-01T10:00:00Z' });
    const held = await imp({ number: '+46701000002', startedAt: '2025-01-01T11:00:00Z' });
    const fresh = await imp({ number: '+46701000003' });
    assert.equal(
      (await ctl(sets, ['hold', 'set', held, '--reason', 'police investigation 2026/77'])).code,
      0,
    );

    const dry = await ctl(sets, ['retention', 'run', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`would delete ${old}`));
    assert.match(dry.stdout, new RegExp(`kept \\(legal hold or restriction\\) ${held}`));
    assert.ok(!dry.stdout.includes(fresh));
    assert.equal(
      JSON.parse((await ctl(sets, ['recordings', 'list', '--json'])).stdout).length,
      3,
      'dry run deletes nothing',
    );

    const run = await ctl(sets, ['retention', 'run']);
    assert.match(run.stdout, new RegExp(`deleted ${old}`));
    const left = (JSON.parse((await ctl(sets, ['recordings', 'list', '--json'])).stdout) as { id: string }[])
      .map((r) => r.id)
      .sort();
    assert.deepEqual(left, [held, fresh].sort());
    assert.ok(!files(storage).some((f) => f.includes(old)), 'the container file is gone');
    // Table and write-ahead files hold key entries; LevelDB's info LOG and MANIFEST only name key ranges.
    for (const f of files(join(storage, 'keystore')).filter((x) => /\.(ldb|log)$/.test(x)))
      assert.ok(!readFileSync(f).includes(Buffer.from(`rk!${old}`)), `key entry of ${old} left in ${f}`);
    assert.equal(
      (await ctl(sets, ['export', old, '-o', join(work, 'x.wav'), '--reason', 'after expiry'])).code,
      1,
    );

    assert.equal((await ctl(sets, ['hold', 'release', held, '--reason', 'investigation closed'])).code, 0);
    const later = await ctl(sets, ['retention', 'run', '--at', new Date().toISOString()]);
    assert.match(later.stdout, new RegExp(`deleted ${held}`));
    const audit = (
      JSON.parse((await ctl(sets, ['audit', 'list', '--json'])).stdout) as {
        action: string;
        recordingId: string | null;
      }[]
    ).map((e) => `${e.action}:${e.recordingId}`);
    for (const want of [
      `hold:${held}`,
      `release:${held}`,
      `retention_delete:${old}`,
      `retention_delete:${held}`,
    ])
      assert.ok(audit.includes(want), want);
    assert.equal((await ctl(sets, ['audit', 'verify'])).code, 0);
  });

  it('anonymises under upplands-bro: audio and personal data gone, the record kept', async () => {
    const ub = ['policy.name=upplands-bro'];
    const id = await imp(
      {
        number: '+46701000009',
        agent: '7',
        service: 'parking',
        caseId: 'case-1',
        startedAt: '2025-01-01T10:00:00Z',
      },
      ub,
    );
    const run = await ctl([...sets, ...ub], ['retention', 'run']);
    assert.match(run.stdout, new RegExp(`anonymised ${id}`));
    const show = JSON.parse(
      (await ctl([...sets, ...ub], ['recordings', 'show', id, '--json'])).stdout,
    ) as Record<string, unknown>;
    assert.equal(show['number'], null);
    assert.equal(show['agent'], null);
    assert.equal(show['service'], 'parking');
    assert.ok((show['flags'] as string[]).includes('anonymised'));
    // The container goes; the signed state sidecar holding the anonymised case record stays.
    assert.ok(!files(storage).some((f) => f.includes(id) && f.endsWith('.wav.enc')), 'audio destroyed');
    assert.ok(
      files(storage).some((f) => f.endsWith(`${id}.state`)),
      'case record kept in the vault',
    );
    // The next open must not treat the audio-less record as an orphan.
    assert.equal(
      JSON.parse((await ctl([...sets, ...ub], ['recordings', 'list', '--json'])).stdout).length,
      1,
    );
  });

  it('index rebuild (real CLI) gives back hold, restriction, case link + close and the retention decisions', async () => {
    const held = await imp({ number: '+46701000021', startedAt: '2025-01-01T10:00:00Z' });
    const restricted = await imp({ number: '+46701000022', startedAt: '2025-01-01T10:00:00Z' });
    const cased = await imp({ number: '+46701000023', startedAt: '2025-01-01T10:00:00Z' });
    const ok = async (args: string[]): Promise<string> => {
      const r = await ctl(sets, args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await ok(['hold', 'set', held, '--reason', 'police investigation 2026/91']);
    await ok(['restrict', 'set', restricted, '--reason', 'accuracy disputed']);
    await ok(['case', 'link', cased, 'C-2026-3']);
    await ok(['case', 'close', 'C-2026-3', '--at', '2027-03-01T00:00:00Z']);
    const show = async (): Promise<unknown[]> => {
      const out: unknown[] = [];
      for (const id of [held, restricted, cased]) {
        const { stats: _s, ...rest } = JSON.parse(await ok(['recordings', 'show', id, '--json'])) as Record<
          string,
          unknown
        >;
        out.push(rest);
      }
      return out;
    };
    const dry = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const at of ['2026-06-01T00:00:00Z', '2027-02-01T00:00:00Z', '2029-01-01T00:00:00Z'])
        out.push((await ok(['retention', 'run', '--at', at, '--dry-run'])).split('\n').sort().join('\n'));
      return out;
    };
    const before = await show();
    const decided = await dry();
    assert.match(decided[0] as string, new RegExp(`kept \\(legal hold or restriction\\) ${held}`));
    assert.match(await ok(['index', 'rebuild']), /3 recording/);
    assert.deepEqual(await show(), before);
    assert.deepEqual(await dry(), decided);
  });

  it("consent withdrawal erases that caller's recordings (victoriahem), except those on legal hold or restricted", async () => {
    const vh = [...sets, 'policy.name=victoriahem'];
    const imp2 = async (number: string): Promise<string> => {
      const r = await ctl(vh, ['import', wav, '--meta', JSON.stringify({ number })]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    };
    const a = await imp2('+46701000005');
    const b = await imp2('+46701000005');
    const c = await imp2('+46701000005');
    const other = await imp2('+46701000006');
    await ctl(vh, ['hold', 'set', b, '--reason', 'complaint under review']);
    await ctl(vh, ['restrict', 'set', c, '--reason', 'accuracy disputed']);
    const r = await ctl(vh, [
      'consent',
      'withdraw',
      '+46 70 100 00 05',
      '--reason',
      'caller asked by phone, ticket 5',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`erased ${a}`));
    assert.match(r.stdout, new RegExp(`kept \\(legal hold\\) ${b}`));
    assert.match(r.stdout, new RegExp(`kept \\(restricted\\) ${c}`));
    const left = (JSON.parse((await ctl(vh, ['recordings', 'list', '--json'])).stdout) as { id: string }[])
      .map((x) => x.id)
      .sort();
    assert.deepEqual(left, [b, c, other].sort());
    assert.ok(!files(storage).some((f) => f.includes(a)), 'the erased container is gone');
  });

  it('consent withdrawal under hrm (withdraw_consent_erases: false) restricts and erases nothing; the override erases', async () => {
    const a = await imp({ number: '+46701000007' });
    const other = await imp({ number: '+46701000008' });
    const r = await ctl(sets, [
      'consent',
      'withdraw',
      '+46701000007',
      '--reason',
      'caller objects, ticket 6',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`restricted ${a}`));
    assert.match(r.stderr, /0 recording\(s\) erased, 1 restricted/);
    const show = JSON.parse((await ctl(sets, ['recordings', 'show', a, '--json'])).stdout) as Record<
      string,
      unknown
    >;
    assert.equal(show['restricted'], true);
    assert.ok(
      files(storage).some((f) => f.includes(a) && f.endsWith('.wav.enc')),
      'audio kept',
    );
    const exp = await ctl(sets, [
      'export',
      a,
      '-o',
      join(work, 'a.wav'),
      '--reason',
      'listen after objection',
    ]);
    assert.equal(exp.code, 1, 'a restricted recording is not exported');

    await ctl(sets, ['restrict', 'release', a, '--reason', 'DPO decided: erase']);
    const erasing = [...sets, 'policy.withdraw_consent_erases=true'];
    const r2 = await ctl(erasing, [
      'consent',
      'withdraw',
      '+46701000007',
      '--reason',
      'caller objects, ticket 6',
    ]);
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stdout, new RegExp(`erased ${a}`));
    const left = (
      JSON.parse((await ctl(sets, ['recordings', 'list', '--json'])).stdout) as { id: string }[]
    ).map((x) => x.id);
    assert.deepEqual(left, [other]);
  });
});
