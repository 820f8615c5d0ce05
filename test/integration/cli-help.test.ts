/**
 * The CLI a technician meets, end to end with the real binaries: `status` with and without a
 * daemon, `recordings list` filters, the readable `recordings show` against --json, and
 * `export` refusing to overwrite (or to write into a missing directory) unless told.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { makeToneWav } from '../helpers/audio.js';

describe('integration: callvaultctl that helps', function () {
  this.timeout(120_000);
  let work: string;
  let sets: string[];
  let daemon: RunningDaemon | undefined;
  const ids: Record<string, string> = {};

  const ok = async (args: string[]): Promise<string> => {
    const r = await ctl(sets, args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const listed = async (args: string[]): Promise<string[]> =>
    (JSON.parse(await ok(['recordings', 'list', ...args, '--json'])) as { id: string }[])
      .map((r) => r.id)
      .sort();

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'cv-clihelp-it-'));
    sets = await isolatedSets(join(work, 'storage'));
    const wav = join(work, 'in.wav');
    makeToneWav(wav, 2, [440, 1000]);
    // Imported with no daemon running: the CLI opens the storage itself.
    const calls: [string, object][] = [
      ['jan', { number: '+4930111111', agent: '201', service: 'billing', startedAt: '2026-01-10T09:00:00Z' }],
      ['feb', { number: '+4930222222', agent: '202', service: 'billing', startedAt: '2026-02-10T09:00:00Z' }],
      ['mar', { number: '+4930333333', agent: '201', service: 'sales', startedAt: '2026-03-10T09:00:00Z' }],
    ];
    for (const [name, meta] of calls)
      ids[name] = (await ok(['import', wav, '--meta', JSON.stringify(meta)])).trim();
  });
  after(async () => {
    await daemon?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('status says plainly that the daemon is not running (and shows no pid)', async () => {
    const r = await ctl(sets, ['status']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /daemon:\s+NOT RUNNING/);
    assert.doesNotMatch(r.stdout, /pid/);
    const j = JSON.parse(await ok(['status', '--json'])) as Record<string, unknown>;
    assert.equal(j['running'], false);
    assert.equal(j['pid'], undefined);
  });

  it('status of a running daemon: its pid, uptime, version, listeners, active calls', async () => {
    daemon = await startDaemon(sets);
    const r = await ok(['status']);
    assert.match(r, /daemon:\s+running/);
    assert.match(r, new RegExp(`pid:\\s+${daemon.child.pid}\\b`));
    assert.match(r, /uptime:\s+\d+m \d+s/);
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    assert.match(r, new RegExp(`version:\\s+${version.replace(/\./g, '\\.')}`));
    assert.match(r, /sip udp 127\.0\.0\.1:\d+/);
    assert.match(r, /api 127\.0\.0\.1:\d+/);
    assert.match(r, /active calls:\s+0/);
    process.stdout.write(`      status:\n${r.replace(/^/gm, '        ')}`);
  });

  it('recordings list applies every filter (through the daemon)', async () => {
    assert.deepEqual(await listed([]), [ids['jan'], ids['feb'], ids['mar']].sort());
    assert.deepEqual(await listed(['--agent', '201']), [ids['jan'], ids['mar']].sort());
    assert.deepEqual(await listed(['--service', 'billing']), [ids['jan'], ids['feb']].sort());
    assert.deepEqual(await listed(['--number', '+4930222222']), [ids['feb']]);
    assert.deepEqual(await listed(['--from', '2026-02-01T00:00:00Z', '--to', '2026-03-01T00:00:00Z']), [
      ids['feb'],
    ]);
    // Newest first: --limit 1 is March.
    assert.deepEqual(await listed(['--limit', '1']), [ids['mar']]);
    await ok(['case', 'link', ids['jan']!, 'C-2026-9']);
    assert.deepEqual(await listed(['--case', 'C-2026-9']), [ids['jan']]);
    assert.deepEqual(await listed(['--flag', 'imported']), [ids['jan'], ids['feb'], ids['mar']].sort());
    assert.deepEqual(await listed(['--flag', 'no_media']), []);
    assert.deepEqual(await listed(['--agent', '201', '--service', 'sales']), [ids['mar']]);
    const table = await ok(['recordings', 'list', '--agent', '202']);
    assert.match(table, /^ID\s+STARTED/);
    assert.match(table, /1 recording\(s\)/);
  });

  it('recordings show is a readable summary; --json is the full record', async () => {
    await ok(['hold', 'set', ids['jan']!, '--reason', 'ticket 4711']);
    const human = await ok(['recordings', 'show', ids['jan']!]);
    assert.throws(() => JSON.parse(human));
    for (const line of [
      new RegExp(`^Recording:\\s+${ids['jan']}`, 'm'),
      /^Started:\s+2026-01-10T09:00:00\.000Z/m,
      /^Duration:\s+2\.0s/m,
      /^Direction:\s+\w+/m,
      /^Service:\s+billing/m,
      /^Agent:\s+201/m,
      /^Number:\s+\+4930111111/m,
      /^Flags:\s+imported/m,
      /^Legal hold:\s+yes/m,
      /^Restricted:\s+no/m,
      /^Case:\s+C-2026-9 \(open\)/m,
      /^Consent:\s+\w+/m,
    ])
      assert.match(human, line);
    assert.ok(human.split('\n').length < 40, `short: ${human.split('\n').length} lines`);
    const full = JSON.parse(await ok(['recordings', 'show', ids['jan']!, '--json'])) as Record<
      string,
      unknown
    >;
    assert.equal(full['id'], ids['jan']);
    assert.equal(full['legalHold'], true);
    assert.equal(full['caseId'], 'C-2026-9');
  });

  it('export keeps an existing file unless --force; a missing directory is exit 1', async () => {
    const out = join(work, 'out.wav');
    writeFileSync(out, 'keep me');
    const refused = await ctl(sets, ['export', ids['feb']!, '-o', out, '--reason', 'ticket 4711']);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /\[CV_ERR_CLI_OUTPUT_EXISTS\]/);
    assert.equal(readFileSync(out, 'utf8'), 'keep me');
    const forced = await ctl(sets, ['export', ids['feb']!, '-o', out, '--reason', 'ticket 4711', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(readFileSync(out).subarray(0, 4).toString(), 'RIFF');
    assert.ok(statSync(out).size > 30_000);

    const nowhere = join(work, 'no', 'such', 'dir', 'x.wav');
    const missing = await ctl(sets, ['export', ids['feb']!, '-o', nowhere, '--reason', 'ticket 4711']);
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /\[CV_ERR_CLI_OUTPUT_DIR_MISSING\]/);
    assert.match(missing.stderr, /no\/such\/dir does not exist/);
    assert.equal(existsSync(join(work, 'no')), false);
  });

  it('verify --all and index rebuild show progress on stderr with --progress (stdout unchanged)', async () => {
    const v = await ctl(sets, ['verify', '--all', '--progress']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stderr, /^verify: 3\/3 \(100%\)$/m);
    assert.doesNotMatch(v.stdout, /verify:/);
    assert.equal(v.stdout.trim().split('\n').length, 3);
    // Not a terminal and no --progress: no progress lines.
    assert.doesNotMatch((await ctl(sets, ['verify', '--all'])).stderr, /verify: \d/);
    const r = await ctl(sets, ['index', 'rebuild', '--progress']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^index rebuild: 3\/3 \(100%\)$/m);
    process.stdout.write(
      `      ${v.stderr.trim().split('\n').join(' | ')}\n      ${r.stderr.trim().split('\n').join(' | ')}\n`,
    );
  });
});
