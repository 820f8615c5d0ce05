/**
 * Operations: both binaries answer --version; the `ready` line names every listener, the RTP
 * range, the policy and the version; SIGHUP applies sip.trusted and log.level to the running
 * daemon without cutting a call in progress, names what needs a restart, and an invalid file
 * keeps the running config.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CTL_BIN,
  DAEMON_BIN,
  DEV_CONFIG,
  ROOT,
  ctl,
  isolatedSets,
  resolveSets,
  run,
  setArgs,
  startDaemon,
} from '../helpers/daemon.js';
import { rtpRangeSet } from '../kit/index.js';
import { until, untilAsync } from '../helpers/until.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** A retention override no preset has, so a recording made under it is recognisable. */
const RELOADED_RETENTION_DAYS = 9;

/** The JSON log lines with message `msg` (journald's `<N>` priority prefix removed). */
function lines(logs: string, msg: string): Record<string, unknown>[] {
  return logs
    .split('\n')
    .filter((l) => l.includes(`"msg":"${msg}"`))
    .map((l) => JSON.parse(l.replace(/^<\d>/, '')) as Record<string, unknown>);
}

/** The raw line with message `msg`. */
function raw(logs: string, msg: string): string | undefined {
  return logs.split('\n').find((l) => l.includes(`"msg":"${msg}"`));
}

describe('integration: operations (--version, ready line, SIGHUP reload)', function () {
  this.timeout(90_000);
  let work: string;
  let child: ReturnType<typeof spawn> | undefined;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'cv-ops-'));
  });
  afterEach(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    child = undefined;
    rmSync(work, { recursive: true, force: true });
  });

  it('callvault --version and callvaultctl --version print the package version and exit 0', async () => {
    const d = await run(process.execPath, [DAEMON_BIN, '--version']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout.trim(), `callvault ${VERSION}`);
    const c = await run(process.execPath, [CTL_BIN, '--version']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout.trim(), `callvaultctl ${VERSION}`);
  });

  it('names every listener in the ready line; SIGHUP reloads trust and log level, keeps a call, refuses a bad file', async () => {
    const cfg = join(work, 'callvault.yaml');
    const dev = readFileSync(DEV_CONFIG, 'utf8');
    assert.match(dev, /trusted: \[127\.0\.0\.0\/8, "::1\/128"\]/);
    writeFileSync(cfg, dev);
    const rtp = rtpRangeSet();
    // log.level comes from the file here, so a reload can change it.
    const sets = [...(await isolatedSets(join(work, 'storage'))).filter((s) => !s.startsWith('log.')), rtp];
    // As under systemd with stdout to the journal: $JOURNAL_STREAM names the stdout's device and
    // inode, and every line carries its syslog priority.
    const out = join(work, 'stdout');
    const fd = openSync(out, 'w');
    const st = fstatSync(fd, { bigint: true });
    const d = spawn(process.execPath, [DAEMON_BIN, '--config', cfg, ...setArgs(sets)], {
      cwd: ROOT,
      env: { ...process.env, JOURNAL_STREAM: `${st.dev}:${st.ino}` },
      stdio: ['ignore', fd, 'pipe'],
    });
    closeSync(fd);
    child = d;
    let errors = '';
    d.stderr!.on('data', (b: Buffer) => (errors += b.toString()));
    let logs = '';
    const refresh = (): string => (logs = readFileSync(out, 'utf8') + errors);
    await until(() => lines(refresh(), 'ready').length === 1 || d.exitCode !== null, 'ready', 30_000);
    const ready = lines(logs, 'ready')[0]!;
    resolveSets(sets, ready);
    assert.match(raw(logs, 'ready')!, /^<6>\{"level":30,/);
    const sip = sets.find((s) => s.startsWith('sip.udp='))!.slice('sip.udp='.length);
    assert.deepEqual(ready['sip'], [`udp:${sip}`, `tcp:${sip}`]);
    assert.equal(ready['rtp'], rtp.slice('media.rtp_ports='.length));
    const api = sets.find((s) => s.startsWith('api.listen='))!.slice('api.listen='.length);
    const metrics = sets.find((s) => s.startsWith('metrics.listen='))!.slice('metrics.listen='.length);
    assert.equal(ready['api'], `https://${api}`);
    assert.equal(ready['metrics'], `http://${metrics}/metrics`);
    assert.equal(ready['version'], VERSION);
    assert.equal(typeof ready['policy'], 'string');

    // A call in progress while the trust list grows and the log level changes: it is recorded whole.
    const call = ctl(sets, ['test-call', '--seconds', '3']);
    await until(() => refresh().includes('"msg":"recording started"'), 'recording started', 20_000);
    writeFileSync(
      cfg,
      dev
        .replace('trusted: [127.0.0.0/8, "::1/128"]', 'trusted: [127.0.0.0/8, "::1/128", 192.0.2.7/32]')
        .replace('min_free_bytes: 256 MiB', 'min_free_bytes: 200 MiB')
        .replace('level: info', 'level: debug')
        .replace(/^policy:\n/m, `policy:\n  retention_days: ${RELOADED_RETENTION_DAYS}\n`),
    );
    d.kill('SIGHUP');
    await until(() => lines(refresh(), 'config reloaded').length === 1, 'config reloaded', 10_000);
    const reloaded = lines(logs, 'config reloaded')[0]!;
    assert.equal(reloaded['trusted'], 3);
    assert.equal(reloaded['logLevel'], 'debug');
    assert.deepEqual(reloaded['needsRestart'], ['storage.min_free_bytes'], JSON.stringify(reloaded));
    const policyLine = lines(logs, 'policy reloaded; applies to new calls')[0]!;
    assert.deepEqual(policyLine['changed'], ['policy.retention_days'], JSON.stringify(policyLine));
    const done = await call;
    assert.equal(done.code, 0, done.stdout + done.stderr);
    assert.match(done.stdout, /^OK: recorded as /);
    // The call in progress keeps the policy it started with; the next one gets the override.
    const daysOf = async (id: string): Promise<number> => {
      // test-call reports the id at BYE; the index entry follows when the recorder finalises.
      let shown = { code: -1, stdout: '', stderr: '' };
      await untilAsync(
        async () => {
          shown = await ctl(sets, ['recordings', 'show', id, '--json']);
          return shown.code === 0;
        },
        `recording ${id} indexed`,
        15_000,
      );
      const r = JSON.parse(shown.stdout) as { startedAt: string; expiresAt: string };
      return Math.round((Date.parse(r.expiresAt) - Date.parse(r.startedAt)) / 86_400_000);
    };
    const before = await daysOf(done.stdout.match(/recorded as ([0-9a-f-]+)/)![1]!);
    assert.notEqual(before, RELOADED_RETENTION_DAYS);
    const after = await ctl(sets, ['test-call', '--seconds', '1']);
    assert.equal(after.code, 0, after.stdout + after.stderr);
    assert.equal(await daysOf(after.stdout.match(/recorded as ([0-9a-f-]+)/)![1]!), RELOADED_RETENTION_DAYS);
    process.stdout.write(
      `      policy reload: call in progress kept ${before} days, next call ${RELOADED_RETENTION_DAYS}\n`,
    );

    // An invalid file: the running config stays, the log says why (the key and its code).
    writeFileSync(cfg, `${dev}\nbogus_section: 1\n`);
    d.kill('SIGHUP');
    await until(
      () => lines(refresh(), 'config reload failed; keeping the running config').length === 1,
      'refusal',
    );
    const refused = lines(logs, 'config reload failed; keeping the running config')[0]!;
    assert.match(String(refused['code']), /^CV_ERR_CONFIG_/);
    assert.match(raw(logs, 'config reload failed; keeping the running config')!, /^<3>\{"level":50,/);

    // The SBC's address leaves the trust list: the next call is refused (403) without a restart.
    writeFileSync(cfg, dev.replace('trusted: [127.0.0.0/8, "::1/128"]', 'trusted: [192.0.2.7/32]'));
    d.kill('SIGHUP');
    await until(() => lines(refresh(), 'config reloaded').length === 2, 'second reload', 10_000);
    const refusedCall = await ctl(sets, ['test-call', '--seconds', '1']);
    assert.notEqual(refusedCall.code, 0, refusedCall.stdout);
    assert.match(refusedCall.stdout + refusedCall.stderr, /403/);
    assert.equal(d.exitCode, null, 'the daemon kept running');
  });

  it('a tap interface in the config is named as not captured, and SIPREC recording still starts', async () => {
    const sets = [...(await isolatedSets(join(work, 'storage'))), 'tap.interface=lo'];
    const d = await startDaemon(sets);
    try {
      const warn = d
        .logs()
        .split('\n')
        .filter((l) => l.includes('passive capture is not available'))
        .map((l) => JSON.parse(l) as { level: number; interface: string });
      assert.equal(warn.length, 1, d.logs());
      assert.equal(warn[0]!.level, 40);
      assert.equal(warn[0]!.interface, 'lo');
      const call = await ctl(sets, ['test-call', '--seconds', '1']);
      assert.equal(call.code, 0, call.stdout + call.stderr);
    } finally {
      await d.stop();
    }
  });
});
