/**
 * The Debian package (`make package` → packaging/build-deb.sh): every file, mode and owner in
 * it; dpkg names the missing dependencies; installed into a throwaway root (dpkg --root, the
 * maintainer scripts run chrootless with $DPKG_ROOT) it creates the account, the directories
 * and the master key; the installed daemon runs as that account on the key as a systemd
 * credential, records a test call, and the installed CLI reads the same key offline; an
 * upgrade keeps the edited config, the key and the recording; remove and purge keep the data.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANY_PORT, ROOT, readyLineIn, resolveSets, run, setArgs, type CliResult } from '../helpers/daemon.js';
import { rtpRangeSet } from '../kit/index.js';
import { until } from '../helpers/until.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const NEXT = `${VERSION}+upgrade1`;

function build(out: string, version?: string): Promise<CliResult> {
  const env = {
    ...process.env,
    CALLVAULT_PKG_OUT: out,
    ...(version ? { CALLVAULT_PKG_VERSION: version } : {}),
  };
  return run(join(ROOT, 'packaging', 'build-deb.sh'), [], { env, timeoutMs: 120_000 });
}

/** `mode owner/group size date time path` lines of `dpkg-deb -c`, by path. */
function contents(listing: string): Map<string, { mode: string; owner: string }> {
  const m = new Map<string, { mode: string; owner: string }>();
  for (const line of listing.trim().split('\n')) {
    const f = line.split(/\s+/);
    m.set(f.slice(5).join(' ').replace(/^\.\//, '/'), { mode: f[0]!, owner: f[1]! });
  }
  return m;
}

/** dpkg-deb reading the package (no stdin: it may exit before a pipe could be written). */
function debInfo(args: readonly string[]): { code: number; stdout: string } {
  return {
    code: 0,
    stdout: execFileSync('dpkg-deb', args, { encoding: 'utf8', timeout: 30_000, maxBuffer: 64 << 20 }),
  };
}

/** An empty dpkg database under `root`. */
function emptyRoot(root: string): void {
  for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/log'])
    mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'var/lib/dpkg/status'), '');
}

function dpkg(
  root: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<CliResult> {
  return run('dpkg', [`--root=${root}`, '--force-script-chrootless', '--log=/dev/null', ...args], {
    env,
    timeoutMs: 60_000,
  });
}

describe('integration: Debian package', function () {
  let previousUmask = 0o022;
  this.timeout(240_000);
  let work: string;
  let deb: string;
  let debNext: string;
  let daemon: ChildProcess | undefined;

  before(async function () {
    this.timeout(240_000);
    // The build and the throwaway root must be readable by the package's account whatever umask
    // this process was left with.
    previousUmask = process.umask(0o022);
    work = mkdtempSync(join(tmpdir(), 'cv-pkg-'));
    // The package's account (a uid of the throwaway root) must reach the installed files.
    chmodSync(work, 0o755);
    const started = Date.now();
    const a = await build(join(work, 'out1'));
    assert.equal(a.code, 0, a.stdout + a.stderr);
    deb = a.stdout.trim();
    const b = await build(join(work, 'out2'), NEXT);
    assert.equal(b.code, 0, b.stdout + b.stderr);
    debNext = b.stdout.trim();
    process.stdout.write(`      (two packages built in ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  });
  afterEach(async () => {
    if (daemon !== undefined && daemon.exitCode === null) {
      const exited = once(daemon, 'exit');
      daemon.kill('SIGKILL');
      await exited;
    }
    daemon = undefined;
  });
  after(() => {
    rmSync(work, { recursive: true, force: true });
    process.umask(previousUmask);
  });

  it('holds every file with its mode, root-owned, no dev tooling; control names the runtime dependencies', async () => {
    assert.match(deb, new RegExp(`/callvault_${VERSION.replace(/\./g, '\\.')}_amd64\\.deb$`));
    const info = debInfo(['-I', deb]);
    assert.match(info.stdout, /^ Package: callvault$/m);
    assert.match(info.stdout, new RegExp(`^ Version: ${VERSION.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(info.stdout, /^ Depends: nodejs \(>= 20\), ffmpeg$/m);
    const ctrl = join(work, 'ctrl');
    assert.equal(debInfo(['-e', deb, ctrl]).code, 0);
    assert.equal(readFileSync(join(ctrl, 'conffiles'), 'utf8'), '/etc/callvault/callvault.yaml\n');
    for (const s of ['postinst', 'prerm', 'postrm'])
      assert.equal(statSync(join(ctrl, s)).mode & 0o777, 0o755, s);

    const files = contents(debInfo(['-c', deb]).stdout);
    const expected: [string, string][] = [
      ['/usr/bin/callvault', '-rwxr-xr-x'],
      ['/usr/bin/callvaultctl', '-rwxr-xr-x'],
      ['/usr/lib/systemd/system/callvault.service', '-rw-r--r--'],
      ['/usr/lib/sysusers.d/callvault.conf', '-rw-r--r--'],
      ['/usr/lib/tmpfiles.d/callvault.conf', '-rw-r--r--'],
      ['/etc/callvault/', 'drwxr-x---'],
      ['/etc/callvault/callvault.yaml', '-rw-r--r--'],
      ['/opt/callvault/bin/callvault.js', '-rwxr-xr-x'],
      ['/opt/callvault/bin/callvaultctl.js', '-rwxr-xr-x'],
      ['/opt/callvault/dist/main.js', '-rw-r--r--'],
      ['/opt/callvault/dist/cli/index.js', '-rw-r--r--'],
      ['/opt/callvault/native/build/rtp-reader.node', '-rw-r--r--'],
      ['/opt/callvault/native/build/fs-sync.node', '-rw-r--r--'],
      ['/opt/callvault/native/build/sd-notify.node', '-rw-r--r--'],
      ['/opt/callvault/package.json', '-rw-r--r--'],
      ['/opt/callvault/node_modules/classic-level/package.json', '-rw-r--r--'],
      ['/opt/callvault/node_modules/pino/package.json', '-rw-r--r--'],
      ['/usr/share/callvault/examples/dev.yaml', '-rw-r--r--'],
      ['/usr/share/callvault/examples/arlo.yaml', '-rw-r--r--'],
      ['/usr/share/doc/callvault/README.md', '-rw-r--r--'],
      ['/opt/callvault/agent/console/index.html', '-rw-r--r--'],
    ];
    for (const [path, mode] of expected) assert.equal(files.get(path)?.mode, mode, path);
    let checked = 0;
    for (const [path, f] of files) {
      checked++;
      assert.equal(f.owner, 'root/root', path);
      if (path === '/etc/callvault/') continue;
      // Nothing writable by others, no set-id bits: directories 0755, files 0644 or 0755.
      assert.ok(
        ['drwxr-xr-x', '-rw-r--r--', '-rwxr-xr-x', 'lrwxrwxrwx'].includes(f.mode),
        `${path} ${f.mode}`,
      );
      // agent/ is source, except the web console's static files (served as they are).
      assert.doesNotMatch(
        path,
        /^\/opt\/callvault\/(dist\/.*\.map|agent\/(?!$|console\/)|test\/|scripts\/)/,
        path,
      );
      assert.doesNotMatch(
        path,
        /\/node_modules\/(mocha|typescript|tsx|eslint|@types)\//,
        `dev dependency ${path}`,
      );
      assert.doesNotMatch(path, /master\.key/, 'no key ships in the package');
    }
    process.stdout.write(`      (${checked} entries checked)\n`);
  });

  it('an install without nodejs and ffmpeg names both missing dependencies', async () => {
    const root = join(work, 'bare');
    emptyRoot(root);
    const r = await dpkg(root, ['-i', deb]);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /callvault depends on nodejs \(>= 20\); however:\s+Package nodejs is not installed/,
    );
    assert.match(r.stderr, /callvault depends on ffmpeg; however:\s+Package ffmpeg is not installed/);
  });

  it('install → start → test-call → upgrade keeps config, key and recording → remove → purge keeps data', async () => {
    const root = join(work, 'root');
    emptyRoot(root);
    const inst = await dpkg(root, ['--force-depends', '-i', deb]);
    assert.equal(inst.code, 0, inst.stdout + inst.stderr);

    // The account, the directories and the key the maintainer scripts made.
    const pw = readFileSync(join(root, 'etc/passwd'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('callvault:'));
    assert.ok(pw, 'callvault account created');
    const [, , uidText, gidText, , home, shell] = pw.split(':');
    const uid = Number(uidText);
    const gid = Number(gidText);
    assert.equal(home, '/var/lib/callvault');
    assert.equal(shell, '/usr/sbin/nologin');
    const key = join(root, 'etc/callvault/master.key');
    const keySt = statSync(key);
    assert.equal(keySt.mode & 0o777, 0o600);
    assert.equal(keySt.uid, uid);
    assert.match(readFileSync(key, 'utf8'), /^1 [0-9a-f]{64}\n$/);
    const stateSt = statSync(join(root, 'var/lib/callvault'));
    assert.equal(stateSt.mode & 0o777, 0o700);
    assert.equal(stateSt.uid, uid);
    const etcSt = statSync(join(root, 'etc/callvault'));
    assert.equal(etcSt.mode & 0o777, 0o750);
    assert.equal(etcSt.gid, gid);

    // The key the unit hands over as a credential is the file the CLI reads when no daemon runs.
    const unit = readFileSync(join(root, 'usr/lib/systemd/system/callvault.service'), 'utf8');
    const conf = join(root, 'etc/callvault/callvault.yaml');
    const credentialFile = /^LoadCredential=callvault-master-key:(\S+)$/m.exec(unit)?.[1];
    const keyFile = /^\s*master_key_file:\s*(\S+)$/m.exec(readFileSync(conf, 'utf8'))?.[1];
    assert.equal(credentialFile, '/etc/callvault/master.key');
    assert.equal(keyFile, credentialFile);

    // As the package's account, like the unit (User=callvault), with the key as a credential.
    const asAccount = ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'];
    // Listeners on port 0: once the daemon is ready, its `ready` line's ports replace them here.
    const sets = [
      `storage.dir=${join(root, 'var/lib/callvault')}`,
      `keys.master_key_file=${key}`,
      `sip.udp=${ANY_PORT}`,
      `sip.tcp=${ANY_PORT}`,
      'sip.trusted=[127.0.0.1/32]',
      `api.listen=${ANY_PORT}`,
      `metrics.listen=${ANY_PORT}`,
      rtpRangeSet(),
    ];
    const ctl = (args: readonly string[]): Promise<CliResult> =>
      run(
        asAccount[0]!,
        [
          ...asAccount.slice(1),
          join(root, 'usr/bin/callvaultctl'),
          '--config',
          conf,
          ...setArgs(sets),
          ...args,
        ],
        {
          timeoutMs: 60_000,
        },
      );
    const version = await ctl(['--version']);
    assert.equal(version.stdout.trim(), `callvaultctl ${VERSION}`, version.stderr);
    const check = await ctl(['config', 'check']);
    assert.equal(check.code, 0, check.stdout + check.stderr);

    const creds = join(work, 'credentials');
    mkdirSync(creds, { mode: 0o700 });
    // As systemd hands a credential over: read-only, owned by the service's user.
    copyFileSync(key, join(creds, 'callvault-master-key'));
    chmodSync(join(creds, 'callvault-master-key'), 0o400);
    chownSync(join(creds, 'callvault-master-key'), uid, gid);
    chmodSync(creds, 0o755);
    const d = spawn(
      asAccount[0]!,
      [...asAccount.slice(1), join(root, 'usr/bin/callvault'), '--config', conf, ...setArgs(sets)],
      {
        env: { ...process.env, CREDENTIALS_DIRECTORY: creds },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    daemon = d;
    let logs = '';
    d.stdout!.on('data', (b: Buffer) => (logs += b.toString()));
    d.stderr!.on('data', (b: Buffer) => (logs += b.toString()));
    await until(() => readyLineIn(logs) !== null || d.exitCode !== null, 'installed daemon ready', 30_000);
    assert.match(logs, /"msg":"ready"/, logs);
    resolveSets(sets, readyLineIn(logs)!);
    const call = await ctl(['test-call', '--seconds', '2']);
    assert.equal(call.code, 0, call.stdout + call.stderr + logs);
    const id = /recorded as (\S+),/.exec(call.stdout)?.[1];
    assert.ok(id, call.stdout);
    d.kill('SIGTERM');
    await once(d, 'exit');
    assert.equal(d.exitCode, 0, logs);

    // Offline, without the credential: the CLI reads the same key from keys.master_key_file.
    const offline = await ctl(['verify', id]);
    assert.equal(offline.code, 0, offline.stdout + offline.stderr);

    // Upgrade to a rebuilt package: an edited conffile, the key and the recording survive.
    const keyBefore = readFileSync(key, 'utf8');
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('level: info', 'level: warn'));
    const up = await dpkg(root, ['--force-depends', '--force-confold', '-i', debNext]);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.match(
      readFileSync(join(root, 'var/lib/dpkg/status'), 'utf8'),
      new RegExp(`Version: ${NEXT.replace(/[.+]/g, '\\$&')}`),
    );
    assert.equal((await ctl(['--version'])).stdout.trim(), `callvaultctl ${NEXT}`);
    assert.match(readFileSync(conf, 'utf8'), /level: warn/);
    assert.equal(readFileSync(key, 'utf8'), keyBefore);
    assert.match((await ctl(['recordings', 'list'])).stdout, new RegExp(id));
    const after = await ctl(['verify', id]);
    assert.equal(after.code, 0, after.stdout + after.stderr);
    assert.equal((await ctl(['audit', 'verify'])).code, 0);

    // Remove: the programs go; config, key and recordings stay.
    const rm = await dpkg(root, ['-r', 'callvault']);
    assert.equal(rm.code, 0, rm.stdout + rm.stderr);
    assert.equal(existsSync(join(root, 'usr/bin/callvaultctl')), false);
    assert.equal(existsSync(join(root, 'opt/callvault/dist/main.js')), false);
    assert.equal(existsSync(conf), true);
    assert.equal(readFileSync(key, 'utf8'), keyBefore);
    // Purge: the conffile goes; the key and the recordings stay unless asked.
    const purge = await dpkg(root, ['-P', 'callvault']);
    assert.equal(purge.code, 0, purge.stdout + purge.stderr);
    assert.equal(existsSync(conf), false);
    assert.equal(readFileSync(key, 'utf8'), keyBefore);
    assert.ok(existsSync(join(root, 'var/lib/callvault/index')), 'recordings and index kept');
    // Asked: CALLVAULT_PURGE_DATA=yes deletes them too.
    assert.equal((await dpkg(root, ['--force-depends', '-i', deb])).code, 0);
    const wipe = await dpkg(root, ['-P', 'callvault'], { ...process.env, CALLVAULT_PURGE_DATA: 'yes' });
    assert.equal(wipe.code, 0, wipe.stdout + wipe.stderr);
    assert.equal(existsSync(join(root, 'var/lib/callvault')), false);
    assert.equal(existsSync(key), false);
  });
});
