/**
 * Table tests of callvaultctl as a technician meets it: every command's --help, typos with
 * their did-you-mean, and exit codes (user error 1, not found 1, integrity 2). runCtl runs in
 * this process against real storage (LevelDB, vault) in a temp directory.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCtl } from '../../../agent/src/cli/index.js';
import { COMMAND_HELP } from '../../../agent/src/cli/help-table.js';
import { DEV_CONFIG } from '../../helpers/daemon.js';
import { makeToneWav } from '../../helpers/audio.js';

interface Ran {
  code: number;
  out: string;
  err: string;
}

async function ctl(args: readonly string[], storageDir = '/nonexistent/callvault'): Promise<Ran> {
  let out = '';
  let err = '';
  const code = await runCtl(['--config', DEV_CONFIG, '--set', `storage.dir=${storageDir}`, ...args], {
    out: (t) => void (out += `${t}\n`),
    err: (t) => void (err += `${t}\n`),
  });
  return { code, out, err };
}

/** The command words of a table entry, one per subcommand: `hold set|release` → two. */
function invocations(name: string): string[][] {
  const [cmd, subs] = name.split(' ');
  return subs === undefined ? [[cmd!]] : subs.split('|').map((s) => [cmd!, s]);
}

describe('cli/help', () => {
  describe('--help of every command: exit 0, usage, each option and an example', () => {
    for (const entry of COMMAND_HELP) {
      for (const words of invocations(entry.name)) {
        it(`${words.join(' ')} --help`, async () => {
          // Without any usable storage: help needs no configuration beyond parsing it.
          const r = await ctl([...words, '--help']);
          assert.equal(r.code, 0, r.err);
          assert.match(r.out, new RegExp(`^usage: callvaultctl ${words[0]}`));
          for (const o of entry.options ?? []) {
            const long = /--[a-z-]+/.exec(o.flag)![0];
            assert.ok(r.out.includes(long), `${words.join(' ')} --help mentions ${long}`);
          }
          assert.match(r.out, /example:\n {2}.*callvaultctl /);
          const viaHelp = await ctl(['help', ...words]);
          assert.equal(viaHelp.code, 0);
          assert.equal(viaHelp.out, r.out, 'help COMMAND prints the same');
        });
      }
    }
    it('help alone lists every command; -h works like --help', async () => {
      const r = await ctl(['help']);
      assert.equal(r.code, 0);
      for (const e of COMMAND_HELP) assert.ok(r.out.includes(e.name), e.name);
      assert.equal((await ctl(['export', '-h'])).out, (await ctl(['export', '--help'])).out);
      const group = await ctl(['recordings', '--help']);
      assert.equal(group.code, 0);
      assert.match(group.out, /recordings list/);
      assert.match(group.out, /recordings show/);
    });
  });

  describe('typos: did you mean, exit 1', () => {
    const typos: [string[], RegExp][] = [
      [['recordigns', 'list'], /did you mean recordings\?/],
      [['recordings', 'lsit'], /did you mean recordings list\?/],
      [['export', 'X', '--outptu', 'f.wav'], /did you mean --output\?/],
      [['verify', '--al'], /did you mean --all\?/],
      [['recordings', 'list', '--agnet', '201'], /did you mean --agent\?/],
      [['users', 'dsiable', 'bob'], /did you mean users disable\?/],
      [['hepl', 'export'], /did you mean help\?/],
      [['help', 'exprot'], /did you mean export\?/],
      [['statsu'], /did you mean status\?/],
      [['frobnicate'], /callvaultctl help lists the commands/],
    ];
    for (const [args, hint] of typos) {
      it(args.join(' '), async () => {
        const r = await ctl(args);
        assert.equal(r.code, 1, r.err);
        assert.match(r.err, hint);
        assert.match(r.err, /\[CV_ERR_CLI_USAGE\]/);
      });
    }
  });

  describe('exit codes', () => {
    let dir: string;
    let id: string;
    before(async function () {
      this.timeout(30_000);
      dir = mkdtempSync(join(tmpdir(), 'cv-clihelp-'));
      const wav = join(dir, 'in.wav');
      makeToneWav(wav, 2, [440, 1000]);
      const r = await ctl(['import', wav], join(dir, 'store'));
      assert.equal(r.code, 0, r.err);
      id = r.out.trim();
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const store = (): string => join(dir, 'store');
    const cases: [string, () => string[], number, RegExp][] = [
      ['no command', () => [], 1, /usage: callvaultctl/],
      ['missing argument', () => ['recordings', 'show'], 1, /CV_ERR_CLI_USAGE/],
      ['bad --limit', () => ['recordings', 'list', '--limit', 'x'], 1, /CV_ERR_CLI_USAGE/],
      ['bad --from', () => ['recordings', 'list', '--from', 'yesterday'], 1, /CV_ERR_CLI_USAGE/],
      ['not found', () => ['recordings', 'show', 'NOSUCHRECORDING'], 1, /CV_ERR_\w+NOT_FOUND/],
      [
        'export into a missing directory',
        () => ['export', id, '-o', join(dir, 'no', 'such', 'x.wav'), '--reason', 'ticket 1'],
        1,
        /CV_ERR_CLI_OUTPUT_DIR_MISSING/,
      ],
      [
        'export over an existing file',
        () => ['export', id, '-o', join(dir, 'in.wav'), '--reason', 'ticket 1'],
        1,
        /CV_ERR_CLI_OUTPUT_EXISTS/,
      ],
      ['import of a missing file', () => ['import', join(dir, 'none.wav')], 1, /CV_ERR_CLI_USAGE/],
      ['import of a file that is not a WAV', () => ['import', DEV_CONFIG], 1, /CV_ERR_VAULT_BAD_WAV/],
      [
        'hold on a missing recording',
        () => ['hold', 'set', 'NOSUCH', '--reason', 'ticket 1'],
        1,
        /NOT_FOUND/,
      ],
      ['a bad --since', () => ['audit', 'list', '--since', 'garbage'], 1, /CV_ERR_INDEX_BAD_QUERY/],
      ['a bad --transport', () => ['test-call', '--transport', 'sctp'], 1, /CV_ERR_CLI_USAGE/],
      ['ok', () => ['verify', id], 0, /1 verified/],
    ];
    for (const [what, args, code, pattern] of cases) {
      it(`${what}: exit ${code}`, async () => {
        const r = await ctl(args(), store());
        assert.equal(r.code, code, `${r.out}${r.err}`);
        assert.match(r.out + r.err, pattern);
      });
    }

    it('a tampered recording: verify exits 2', async function () {
      this.timeout(30_000);
      const find = (d: string): string | undefined => {
        for (const e of readdirSync(d)) {
          const p = join(d, e);
          if (statSync(p).isDirectory()) {
            const f = find(p);
            if (f !== undefined) return f;
          } else if (e === `${id}.wav.enc`) return p;
        }
        return undefined;
      };
      const container = find(join(store(), 'recordings'));
      assert.ok(container);
      truncateSync(container, Math.floor((statSync(container).size * 2) / 3));
      const r = await ctl(['verify', '--all'], store());
      assert.equal(r.code, 2, `${r.out}${r.err}`);
      assert.match(r.out, /FAILED CV_ERR_/);
    });
  });
});
