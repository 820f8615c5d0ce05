/**
 * `callvaultctl test-call` against the real daemon: a SIPREC call over UDP on 127.0.0.1 is
 * answered, recorded, and found with the caller's tone left and the agent's right. The test
 * also checks the recording independently of the command's own check.
 */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { join } from 'node:path';
import { ANY_PORT, ctl, isolatedSets, startDaemon } from '../helpers/daemon.js';
import { dirPerTest } from '../helpers/workspace.js';
import { readWav, channelFrequency, durationSeconds } from '../helpers/audio.js';

describe('integration: callvaultctl test-call', function () {
  this.timeout(60_000);
  const ws = dirPerTest('cv-tc-');

  it('records a SIPREC test call: 3 s, 440 Hz left (caller), 1000 Hz right (agent), metadata indexed', async () => {
    const sets = await isolatedSets(join(ws.dir, 'storage'));
    ws.daemon = await startDaemon(sets);
    const r = await ws.daemon.ctl(['test-call', '--seconds', '3']);
    assert.equal(r.code, 0, r.stdout + r.stderr + ws.daemon.logs());
    const id = /recorded as (\S+),/.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    const show = JSON.parse((await ws.daemon.ctl(['recordings', 'show', id, '--json'])).stdout) as Record<
      string,
      unknown
    >;
    assert.equal(show['number'], '+10000000000');
    assert.equal(show['direction'], 'inbound');
    assert.equal(show['service'], 'callvault-test');
    assert.equal(show['source'], 'siprec');
    const out = join(ws.dir, 'tc.wav');
    assert.equal((await ws.daemon.ctl(['export', id, '-o', out, '--reason', 'integration check'])).code, 0);
    const wav = readWav(readFileSync(out));
    assert.equal(wav.channels, 2);
    assert.ok(Math.abs(durationSeconds(wav) - 3) <= 0.2, `duration ${durationSeconds(wav)}`);
    assert.equal(channelFrequency(wav, 0), 440);
    assert.equal(channelFrequency(wav, 1), 1000);
    assert.equal((await ws.daemon.ctl(['verify', id])).code, 0);
  });

  it('fails with exit 1 and a clear message when nothing answers', async () => {
    // A UDP port that swallows everything: the INVITE goes out and no answer ever comes.
    const silent = createSocket('udp4');
    silent.bind(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const sets = await isolatedSets(join(ws.dir, 'storage'), [
        `sip.udp=127.0.0.1:${silent.address().port}`,
        'sip.tcp=off',
      ]);
      const r = await ctl(sets, ['test-call', '--seconds', '1']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /CV_ERR_CLI_TEST_CALL/);
    } finally {
      silent.close();
    }
  });

  it('works on a production-like configuration: TLS only, plain INVITEs refused', async () => {
    const cert = join(ws.dir, 'sip.crt');
    const key = join(ws.dir, 'sip.key');
    const gen = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=callvault.test',
      '-days',
      '2',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    assert.equal(gen.status, 0, gen.stderr.toString());
    chmodSync(key, 0o600);
    const sets = await isolatedSets(join(ws.dir, 'storage'), [
      'sip.udp=off',
      'sip.tcp=off',
      `sip.tls=${ANY_PORT}`,
      `sip.tls_cert=${cert}`,
      `sip.tls_key=${key}`,
      'sip.accept_plain_invite=false',
    ]);
    ws.daemon = await startDaemon(sets);
    // No --transport: a TLS-only box is called over TLS.
    const r = await ws.daemon.ctl(['test-call', '--seconds', '2']);
    assert.equal(r.code, 0, r.stdout + r.stderr + ws.daemon.logs());
    assert.match(r.stdout, /^OK: recorded as /);
  });

  it('explains a 403: names the address to add to sip.trusted; --from-address calls from a trusted one', async () => {
    const sets = await isolatedSets(join(ws.dir, 'storage'), ['sip.trusted=[127.0.0.2/32]']);
    ws.daemon = await startDaemon(sets);
    const refused = await ws.daemon.ctl(['test-call', '--seconds', '1']);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /403/);
    assert.match(refused.stderr, /Add "127\.0\.0\.1" to sip\.trusted/);
    assert.match(refused.stderr, /CV_ERR_CLI_TEST_CALL/);
    process.stdout.write(`      ${refused.stderr.trim().split('\n').pop()}\n`);
    const fromTrusted = await ws.daemon.ctl(['test-call', '--seconds', '2', '--from-address', '127.0.0.2']);
    assert.equal(fromTrusted.code, 0, fromTrusted.stdout + fromTrusted.stderr + ws.daemon.logs());
    assert.match(fromTrusted.stdout, /^OK: /);
  });
});
