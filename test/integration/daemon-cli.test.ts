/**
 * The foundation end to end: the real daemon and the real CLI on a temp storage dir. Every
 * CLI command works with no daemon (CLI opens storage itself) and with one (control socket).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { ctl, isolatedSets, startDaemon, DEV_CONFIG, ROOT, type DaemonProcess } from '../helpers/daemon.js';
import { dirPerTest, storagePerTest } from '../helpers/workspace.js';
import { makeToneWav, readWav, channelFrequency, durationSeconds, findWavHeader } from '../helpers/audio.js';

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return walk(p);
    return e.isFile() ? [p] : [];
  });
}

/** True when `hay` contains any 64-byte run of `pcm` taken at a few offsets. */
function containsPcm(hay: Buffer, pcm: Buffer): boolean {
  for (const off of [0, 4096, 100_000, Math.floor(pcm.length / 2)]) {
    if (off + 64 <= pcm.length && hay.includes(pcm.subarray(off, off + 64))) return true;
  }
  return false;
}

function containerOf(storageDir: string, id: string): string {
  const file = walk(join(storageDir, 'recordings')).find((f) => f.endsWith(`${id}.wav.enc`));
  assert.ok(file, `container of ${id}`);
  return file;
}

describe('integration: daemon + callvaultctl', function () {
  this.timeout(120_000);
  const ws = storagePerTest('cv-it-', undefined, (dir) => makeToneWav(join(dir, 'tone.wav'), 60, [440, 880]));
  const toneWav = (): string => join(ws.dir, 'tone.wav');

  async function importExportVerify(expectVia: 'daemon' | 'local'): Promise<string> {
    const status = await ctl(ws.sets, ['status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).via, expectVia);

    const meta = JSON.stringify({
      number: '+46 70-123 45 67',
      agent: '1001',
      agentName: 'Anna Agent',
      service: 'billing',
      direction: 'inbound',
    });
    const imp = await ctl(ws.sets, ['import', toneWav(), '--meta', meta]);
    assert.equal(imp.code, 0, imp.stderr);
    const id = imp.stdout.trim();
    assert.match(id, /^[0-9a-f-]{36}$/);

    const list = await ctl(ws.sets, ['recordings', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const items = JSON.parse(list.stdout) as {
      id: string;
      number: string;
      agent: string;
      durationMs: number;
      flags: string[];
    }[];
    const item = items.find((r) => r.id === id);
    assert.ok(item, 'imported recording is listed');
    assert.equal(item.number, '+46701234567');
    assert.equal(item.agent, '1001');
    assert.ok(Math.abs(item.durationMs - 60_000) < 50, `duration ${item.durationMs}`);

    const out = join(ws.dir, `out-${expectVia}.wav`);
    const exp = await ctl(ws.sets, ['export', id, '-o', out, '--reason', 'integration test', '--force']);
    assert.equal(exp.code, 0, exp.stderr);
    assert.ok(
      readFileSync(out).equals(readFileSync(toneWav())),
      'export is byte-identical to the imported WAV',
    );
    const wav = readWav(readFileSync(out));
    assert.ok(Math.abs(channelFrequency(wav, 0) - 440) < 5);
    assert.ok(Math.abs(channelFrequency(wav, 1) - 880) < 5);

    const ver = await ctl(ws.sets, ['verify', id]);
    assert.equal(ver.code, 0, ver.stdout + ver.stderr);
    assert.match(ver.stdout, /OK sha256 [0-9a-f]{64}/);
    return id;
  }

  it('works without a daemon: import, list, export byte-identical, verify, audit', async () => {
    await importExportVerify('local');
    const audit = await ctl(ws.sets, ['audit', 'list', '--json']);
    assert.equal(audit.code, 0, audit.stderr);
    const actions = (JSON.parse(audit.stdout) as { action: string }[]).map((e) => e.action);
    assert.ok(actions.includes('import') && actions.includes('export'), actions.join(','));
    const av = await ctl(ws.sets, ['audit', 'verify']);
    assert.equal(av.code, 0, av.stdout + av.stderr);
  });

  it('works through the daemon, refuses a second daemon, and stops cleanly on SIGTERM', async () => {
    ws.daemon = await startDaemon(ws.sets);
    assert.equal(statSync(join(ws.storageDir, 'control.sock')).mode & 0o777, 0o600);
    const id = await importExportVerify('daemon');

    const second = await import('../helpers/daemon.js').then((h) =>
      h.run(process.execPath, [h.DAEMON_BIN, '--config', DEV_CONFIG, ...h.setArgs(ws.sets)]),
    );
    assert.equal(second.code, 1, second.stdout + second.stderr);
    assert.match(second.stderr, /in use by another callvault process/);

    assert.equal(await ws.daemon.stop('SIGTERM'), 0);
    ws.daemon = undefined;
    // The data outlives the daemon: the CLI now opens the storage itself and finds it.
    const show = await ctl(ws.sets, ['recordings', 'show', id, '--json']);
    assert.equal(show.code, 0, show.stderr);
    assert.equal(JSON.parse(show.stdout).id, id);
  });

  it('keeps no plaintext audio on disk', async () => {
    await importExportVerify('local');
    const pcm = readWav(readFileSync(toneWav())).data;
    for (const file of walk(ws.storageDir)) {
      const bytes = readFileSync(file);
      assert.equal(findWavHeader(bytes), -1, `WAV header in ${file}`);
      assert.ok(!containsPcm(bytes, pcm), `plaintext PCM in ${file}`);
    }
  });

  it('detects tampering: verify and export exit 2 and leave no output file', async () => {
    const imp = await ctl(ws.sets, ['import', toneWav()]);
    const id = imp.stdout.trim();
    const file = containerOf(ws.storageDir, id);
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x10;
    writeFileSync(file, bytes);
    const ver = await ctl(ws.sets, ['verify', id]);
    assert.equal(ver.code, 2, ver.stdout + ver.stderr);
    assert.match(ver.stdout, /FAILED CV_ERR_VAULT_TAMPERED/);
    const out = join(ws.dir, 'tampered.wav');
    const exp = await ctl(ws.sets, ['export', id, '-o', out, '--reason', 'tamper check']);
    assert.equal(exp.code, 2, exp.stderr);
    assert.match(exp.stderr, /CV_ERR_VAULT_TAMPERED/);
    assert.equal(existsSync(out), false);
    assert.deepEqual(
      readdirSync(ws.dir).filter((f) => f.startsWith('tampered.wav')),
      [],
    );
  });

  it('recovers a recording whose writer was killed with SIGKILL, flagged recovered', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'test/fixtures/storage/record-live.ts'), ws.storageDir, DEV_CONFIG],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const id = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`writer did not reach 5 s: ${out}\n${err}`)), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/appended 5000/.test(out)) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve(/recording (\S+)/.exec(out)![1]!);
        }
      });
    });
    await new Promise((r) => child.once('exit', r));

    const show = await ctl(ws.sets, ['recordings', 'show', id, '--json']);
    assert.equal(show.code, 0, show.stderr);
    const rec = JSON.parse(show.stdout) as { state: string; flags: string[]; number: string };
    assert.equal(rec.state, 'recovered');
    assert.ok(rec.flags.includes('recovered'));
    assert.equal(rec.number, '+46701234567');

    const wavPath = join(ws.dir, 'recovered.wav');
    const exp = await ctl(ws.sets, ['export', id, '-o', wavPath, '--reason', 'recovery check']);
    assert.equal(exp.code, 0, exp.stderr);
    const wav = readWav(readFileSync(wavPath));
    const secs = durationSeconds(wav);
    assert.ok(secs >= 3 && secs <= 5.1, `recovered ${secs} s of ~5 s written`);
    assert.ok(Math.abs(channelFrequency(wav, 0) - 440) < 10);
    assert.ok(Math.abs(channelFrequency(wav, 1) - 1000) < 10);
    const ver = await ctl(ws.sets, ['verify', id]);
    assert.equal(ver.code, 0, ver.stdout + ver.stderr);
  });

  it('rejects a bad config with exit 1 naming the key, for the daemon and the CLI', async () => {
    const cfg = await ctl([...ws.sets, 'media.rtp_ports=70000-80000'], ['config', 'check']);
    assert.equal(cfg.code, 1);
    assert.match(cfg.stderr, /media\.rtp_ports/);
    const d = await import('../helpers/daemon.js').then((h) =>
      h.run(process.execPath, [
        h.DAEMON_BIN,
        '--config',
        DEV_CONFIG,
        ...h.setArgs([...ws.sets, 'storage.bogus=1']),
      ]),
    );
    assert.equal(d.code, 1);
    assert.match(d.stderr, /storage\.bogus/);
  });

  it('refuses to open storage with the wrong master key, losing nothing', async () => {
    const imp = await ctl(ws.sets, ['import', toneWav()]);
    assert.equal(imp.code, 0, imp.stderr);
    const keyFile = join(ws.dir, `wrong-${Date.now()}.key`);
    writeFileSync(keyFile, `1 ${'ab'.repeat(32)}\n`, { mode: 0o600 });
    const bad = await ctl([...ws.sets, `keys.master_key_file=${keyFile}`], ['recordings', 'list']);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /CV_ERR_VAULT_KEY_MISMATCH/);
    const good = await ctl(ws.sets, ['recordings', 'list', '--json']);
    assert.equal(JSON.parse(good.stdout).length, 1);
  });

  it('rotates the master key; old recordings stay readable', async () => {
    const first = (await ctl(ws.sets, ['import', toneWav()])).stdout.trim();
    const rot = await ctl(ws.sets, ['keys', 'rotate']);
    assert.equal(rot.code, 0, rot.stderr);
    assert.match(rot.stdout, /key id 2/);
    const second = (await ctl(ws.sets, ['import', toneWav()])).stdout.trim();
    const all = await ctl(ws.sets, ['verify', '--all']);
    assert.equal(all.code, 0, all.stdout + all.stderr);
    assert.match(all.stdout, new RegExp(`${first} OK`));
    assert.match(all.stdout, new RegExp(`${second} OK`));
  });

  it('refuses to start on a corrupt index, naming index rebuild; rebuild restores the same results', async () => {
    const meta = (n: string): string => JSON.stringify({ number: n, agent: '1001', service: 'billing' });
    const a = (await ctl(ws.sets, ['import', toneWav(), '--meta', meta('+46701000001')])).stdout.trim();
    const b = (await ctl(ws.sets, ['import', toneWav(), '--meta', meta('+46701000002')])).stdout.trim();
    const before = JSON.parse(
      (await ctl(ws.sets, ['recordings', 'search', '--number', '+46701000002', '--json'])).stdout,
    ) as { id: string }[];
    assert.deepEqual(
      before.map((r) => r.id),
      [b],
    );
    const indexDir = join(ws.storageDir, 'index');
    const manifest = readdirSync(indexDir).find((f) => f.startsWith('MANIFEST-'));
    assert.ok(manifest);
    writeFileSync(join(indexDir, manifest), Buffer.alloc(200, 0x5a));

    const h = await import('../helpers/daemon.js');
    const refused = await h.run(process.execPath, [
      h.DAEMON_BIN,
      '--config',
      DEV_CONFIG,
      ...h.setArgs(ws.sets),
    ]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /CV_ERR_INDEX_CORRUPT/);
    assert.match(refused.stderr, /callvaultctl index rebuild/);

    const rebuilt = await ctl(ws.sets, ['index', 'rebuild']);
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    assert.match(rebuilt.stdout, /2 recording\(s\)/);
    const after = JSON.parse(
      (await ctl(ws.sets, ['recordings', 'search', '--number', '+46701000002', '--json'])).stdout,
    ) as { id: string }[];
    assert.deepEqual(
      after.map((r) => r.id),
      [b],
    );
    const all = JSON.parse((await ctl(ws.sets, ['recordings', 'list', '--json'])).stdout) as { id: string }[];
    assert.deepEqual(all.map((r) => r.id).sort(), [a, b].sort());
    ws.daemon = await startDaemon(ws.sets);
  });

  it('imports only WAV: a non-WAV file is refused with exit 1', async () => {
    const junk = join(ws.dir, 'junk.wav');
    writeFileSync(junk, 'this is not audio');
    const r = await ctl(ws.sets, ['import', junk]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /CV_ERR_VAULT_BAD_WAV/);
  });
});

describe('integration: daemon signals and storage permissions', function () {
  this.timeout(60_000);
  const ws = dirPerTest<DaemonProcess>('cv-sig-');

  it('reloads the log level on SIGHUP and keeps running on a broken config', async () => {
    const { chmodSync, mkdirSync } = await import('node:fs');
    const storageDir = join(ws.dir, 'storage');
    mkdirSync(storageDir, { mode: 0o755 });
    chmodSync(storageDir, 0o755);
    const configFile = join(ws.dir, 'callvault.yaml');
    const original = readFileSync(DEV_CONFIG, 'utf8');
    writeFileSync(configFile, original);
    const sets = (await isolatedSets(storageDir)).filter((s) => !s.startsWith('log.level='));
    const h = await import('../helpers/daemon.js');
    const child = spawn(process.execPath, [h.DAEMON_BIN, '--config', configFile, ...h.setArgs(sets)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    // Polls the accumulated log (one listener for the whole run, so no line can slip between
    // two waits); `nudge` is repeated until the line shows (a signal sent too early is re-sent).
    const waitFor = async (re: RegExp, nudge?: () => void): Promise<void> => {
      const end = Date.now() + 20_000;
      let next = 0;
      while (!re.test(out)) {
        if (Date.now() > end) throw new Error(`no ${re} in:\n${out}`);
        if (nudge !== undefined && Date.now() >= next) {
          nudge();
          next = Date.now() + 2000;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const exited = new Promise<number>((r) => child.once('exit', (c) => r(c ?? -1)));
    ws.daemon = {
      child,
      logs: () => out,
      stop: async (sig = 'SIGTERM') => {
        if (child.exitCode === null) child.kill(sig);
        return exited;
      },
    };
    // A SIGHUP during start-up (systemctl reload racing the start) must not kill the daemon:
    // it is held and applied once the daemon is ready.
    await waitFor(/"msg":"starting"/);
    child.kill('SIGHUP');
    await waitFor(/"msg":"ready"/);
    await waitFor(/"msg":"config reloaded"/);
    assert.equal(child.exitCode, null, 'a SIGHUP during start-up did not end the daemon');
    assert.equal(statSync(storageDir).mode & 0o777, 0o700, 'storage.dir tightened to 0700');

    writeFileSync(configFile, original.replace(/^(\s+)level: \w+/m, '$1level: debug'));
    await waitFor(/"logLevel":"debug","msg":"config reloaded/, () => child.kill('SIGHUP'));

    writeFileSync(configFile, `${original}\nbogus_section: 1\n`);
    await waitFor(/"msg":"config reload failed; keeping the running config"/, () => child.kill('SIGHUP'));
    assert.equal(child.exitCode, null, 'still running');
    assert.equal(await ws.daemon.stop('SIGTERM'), 0);
    ws.daemon = undefined;
  });
});
