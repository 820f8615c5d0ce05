/**
 * Cases and retention through the CLI (no daemon: the CLI opens storage itself): a recording
 * is kept while its case is open (extend_while_case_open, Retta) and anonymised N days after
 * the case closes (anonymise_after_case_closed_days, Upplands-Bro), shown by `retention run
 * --at … --dry-run`; search by case; a run as of a future time needs --dry-run or --force.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets } from '../helpers/daemon.js';
import { makeToneWav } from '../helpers/audio.js';

describe('integration: case lifecycle and retention (CLI)', function () {
  this.timeout(120_000);
  let work: string;
  let wav: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'cv-retcase-'));
    wav = join(work, 't.wav');
    makeToneWav(wav, 1, [440, 880]);
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  async function ok(sets: string[], args: string[]): Promise<string> {
    const r = await ctl(sets, args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }
  const imp = async (sets: string[], meta: Record<string, unknown>): Promise<string> =>
    (await ok(sets, ['import', wav, '--meta', JSON.stringify(meta)])).trim();
  const dry = async (sets: string[], at: string): Promise<string> =>
    ok(sets, ['retention', 'run', '--at', at, '--dry-run']);

  it('retta: kept while its case is open, deleted once closed and past retention; found by case', async () => {
    const sets = await isolatedSets(join(work, 'storage'), ['policy.name=retta']);
    const startedAt = '2026-01-01T10:00:00Z';
    const cased = await imp(sets, { number: '+46701000041', startedAt, caseId: 'RT-41' });
    const plain = await imp(sets, { number: '+46701000042', startedAt });
    const linked = await imp(sets, { number: '+46701000043', startedAt });
    await ok(sets, ['case', 'link', linked, 'RT-41']);

    const found = JSON.parse(await ok(sets, ['recordings', 'search', '--case', 'RT-41', '--json'])) as {
      id: string;
    }[];
    assert.deepEqual(found.map((r) => r.id).sort(), [cased, linked].sort());

    // 180 days after the call: the one without a case is due, the open case's are kept.
    const open = await dry(sets, '2027-03-01T00:00:00Z');
    assert.match(open, new RegExp(`would delete ${plain}`));
    assert.ok(!open.includes(cased) && !open.includes(linked), open);

    await ok(sets, ['case', 'close', 'RT-41', '--at', '2027-04-01T00:00:00Z']);
    const beforeClose = await dry(sets, '2027-03-15T00:00:00Z');
    assert.ok(!beforeClose.includes(cased), 'kept until the case closed');
    const afterClose = await dry(sets, '2027-04-02T00:00:00Z');
    for (const id of [plain, cased, linked]) assert.match(afterClose, new RegExp(`would delete ${id}`));
    process.stdout.write(`      retta: open case kept 2 of 3 at +14 months; all 3 due a day after closing\n`);
  });

  it('upplands-bro: anonymised 30 days after the case closes, the case still findable', async () => {
    const sets = await isolatedSets(join(work, 'storage'), ['policy.name=upplands-bro']);
    const id = await imp(sets, { number: '+46701000051', startedAt: new Date().toISOString() });
    await ok(sets, ['case', 'link', id, 'UB-51']);
    const closedAt = new Date(Date.now() + 10 * 86_400_000);
    await ok(sets, ['case', 'close', 'UB-51', '--at', closedAt.toISOString()]);
    const day = (n: number): string => new Date(closedAt.getTime() + n * 86_400_000).toISOString();
    assert.ok(!(await dry(sets, day(29))).includes(id), 'not yet 30 days after closing');
    assert.match(await dry(sets, day(31)), new RegExp(`would anonymise ${id}`));
    await ok(sets, ['retention', 'run', '--at', day(31), '--force']);
    const rec = JSON.parse(await ok(sets, ['recordings', 'show', id, '--json'])) as Record<string, unknown>;
    assert.deepEqual([rec['number'], rec['caseId']], [null, 'UB-51']);
    assert.ok((rec['flags'] as string[]).includes('anonymised'));
    const byCase = JSON.parse(await ok(sets, ['recordings', 'search', '--case', 'UB-51', '--json'])) as {
      id: string;
    }[];
    assert.deepEqual(
      byCase.map((r) => r.id),
      [id],
    );
  });

  it('retention run --at in the future: refused (exit 1, coded) without --dry-run or --force', async () => {
    const sets = await isolatedSets(join(work, 'storage'), ['policy.name=victoriahem']);
    const id = await imp(sets, { number: '+46701000061' });
    const future = new Date(Date.now() + 60 * 86_400_000).toISOString();
    const refused = await ctl(sets, ['retention', 'run', '--at', future]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /CV_ERR_RETENTION_FUTURE_RUN/);
    assert.match(await ok(sets, ['recordings', 'list']), new RegExp(id), 'nothing deleted');
    // Now or the past: as before.
    assert.ok(!(await ok(sets, ['retention', 'run', '--at', new Date().toISOString()])).includes(id));
    assert.match(
      await ok(sets, ['retention', 'run', '--at', future, '--force']),
      new RegExp(`deleted ${id}`),
    );
    assert.ok(!(await ok(sets, ['recordings', 'list'])).includes(id));
  });
});
