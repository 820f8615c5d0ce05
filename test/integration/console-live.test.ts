/**
 * Live calls in the web console against the real daemon: a SIPREC call from the test's fake SBC
 * sends known tones (440 Hz customer, 1000 Hz agent); a supervisor lists it, listens in headless
 * Chromium with a reason, and the page's own measurement of the stream it receives must show
 * both tones; the listen is audited and ends when the call does. The same stream over plain
 * HTTPS: reason required, agents see only their own calls.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { call, json } from '../helpers/https.js';
import { AGENT, rtpRangeSet, SiprecClient, type SiprecCall } from '../kit/index.js';
import { channelFrequency, readWav } from '../helpers/audio.js';
import { until } from '../helpers/until.js';
import {
  chromiumMissing,
  logIn,
  openBrowser,
  screenshot,
  type ConsoleBrowser,
} from '../helpers/console-browser.js';

const PW = (name: string): string => `${name} has a long passphrase`;
const TONES = [440, 1000] as const;

/** A live WAV stream read over HTTPS with a bearer token, as it arrives. */
interface LiveReader {
  readonly header: Buffer[];
  readonly pcm: Buffer[];
  pcmBytes: number;
  firstByteMs: number;
  /** When set, the arrival time of the first chunk after it that ends in 20 ms of silence. */
  watchSilenceAfterMs: number | null;
  silentAtMs: number | null;
  /** Chunks that ended in silence (while the tone plays: none). */
  silentTails: number;
  ended: boolean;
  close(): void;
}

function openLive(url: string, token: string): Promise<LiveReader> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const req = request(
      url,
      { rejectUnauthorized: false, headers: { authorization: `Bearer ${token}` }, timeout: 30_000 },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`listen answered ${res.statusCode}`));
        const live: LiveReader = {
          header: [],
          pcm: [],
          pcmBytes: 0,
          firstByteMs: -1,
          watchSilenceAfterMs: null,
          silentAtMs: null,
          silentTails: 0,
          ended: false,
          close: () => req.destroy(),
        };
        let headerBytes = 0;
        res.on('data', (d: Buffer) => {
          if (live.firstByteMs < 0) live.firstByteMs = Date.now() - t0;
          if (headerBytes < 44) {
            const take = Math.min(44 - headerBytes, d.length);
            live.header.push(d.subarray(0, take));
            headerBytes += take;
            d = d.subarray(take);
          }
          if (d.length === 0) return;
          live.pcm.push(d);
          live.pcmBytes += d.length;
          // 20 ms of stereo 8 kHz at the end of the chunk, all near zero: the tone has stopped.
          const tail = d.subarray(Math.max(0, d.length - 640));
          let silent = tail.length === 640;
          for (let i = 0; silent && i + 1 < tail.length; i += 2) silent = Math.abs(tail.readInt16LE(i)) < 50;
          if (silent) live.silentTails++;
          if (silent && live.watchSilenceAfterMs !== null && live.silentAtMs === null)
            live.silentAtMs = Date.now();
        });
        res.on('end', () => (live.ended = true));
        res.on('close', () => (live.ended = true));
        res.on('error', () => (live.ended = true));
        resolve(live);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('integration: live calls in the web console', function () {
  this.timeout(180_000);
  let work: string;
  let daemon: RunningDaemon | undefined;
  let sipPort: number;
  let origin: string;
  let client: SiprecClient | undefined;
  let browser: ConsoleBrowser | undefined;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'cv-live-'));
    const sets = await isolatedSets(join(work, 'storage'), [rtpRangeSet(), 'media.rtp_timeout_ms=3000']);
    for (const [name, role, agent] of [
      ['sam', 'supervisor', null],
      ['bob', 'agent', '1002'],
      ['dora', 'dpo', null],
    ] as const) {
      const extra = agent === null ? [] : ['--agent', agent];
      const r = await ctl(sets, ['users', 'add', name, '--role', role, ...extra, '--password-stdin'], {
        stdin: PW(name),
      });
      assert.equal(r.code, 0, r.stderr);
    }
    daemon = await startDaemon(sets);
    sipPort = daemon.ports.sipUdp!;
    origin = daemon.apiUrl!;
  });
  afterEach(async () => {
    const csp = browser?.cspViolations.splice(0) ?? [];
    await browser?.close();
    browser = undefined;
    await client?.close();
    client = undefined;
    assert.deepEqual(csp, [], 'the page broke its own CSP');
  });
  after(async () => {
    await daemon?.stop('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });

  const token = async (name: string): Promise<string> => {
    const r = await call(`${origin}/api/v1/session`, {
      method: 'POST',
      json: { username: name, password: PW(name) },
    });
    assert.equal(r.status, 200);
    return String(json(r)['token']);
  };

  let serial = 0;
  /** Places a call with its own number and finds it in GET /calls by that number. */
  async function placeCall(): Promise<{ call: SiprecCall; id: string }> {
    const number = `+467010000${String(++serial).padStart(2, '0')}`;
    client = await SiprecClient.open(sipPort, 'udp');
    const c = await client.call({
      streams: [
        { label: 'caller', codec: 'PCMU', toneHz: TONES[0] },
        { label: 'agent', codec: 'PCMU', toneHz: TONES[1] },
      ],
      caller: { name: 'Kalle Kund', aor: `sip:${number}@sbc.operator.example` },
      callee: AGENT,
      direction: 'inbound',
      service: 'support',
    });
    assert.equal(await c.invite(), 200);
    const sam = await token('sam');
    let id = '';
    // Bounded poll: the recording starts with the answer, so this is normally the first try.
    for (let i = 0; i < 50 && id === ''; i++) {
      const r = await call(`${origin}/api/v1/calls`, { token: sam });
      const mine = (json(r)['items'] as { id: string; number: string }[]).find((c) => c.number === number);
      if (mine !== undefined) id = mine.id;
      else await new Promise((res) => setTimeout(res, 200));
    }
    assert.notEqual(id, '', 'GET /calls lists the call');
    return { call: c, id };
  }

  it('a supervisor listens in the page and hears both tones; the listen is audited and ends with the call', async function () {
    const missing = chromiumMissing();
    if (missing !== null) {
      process.stdout.write(`      skipped: ${missing}\n`);
      this.skip();
    }
    const { call: sbc, id } = await placeCall();
    let stop = false;
    let hungUp = false;
    const media = sbc.sendMedia({ durationMs: 40_000, stop: () => stop });
    try {
      browser = await openBrowser();
      const p = await logIn(browser, origin, 'sam', PW('sam'));
      await p.getByRole('link', { name: 'Live calls' }).click();
      const listen = p.locator('#live-calls').getByRole('button', { name: 'Listen' });
      await listen.waitFor({ timeout: 15_000 });
      await listen.click();
      assert.match(String(await p.locator('#message').textContent()), /why you are listening/);
      await p.getByLabel('Reason for listening (recorded in the audit log)').fill('coaching a new agent');
      await p.locator('#live-calls').getByRole('button', { name: 'Listen' }).click();
      const status = p.locator('#live-status');
      // A function, not a string: the console's CSP forbids eval in the page.
      type Doc = { getElementById(id: string): { dataset: Record<string, string | undefined> } };
      await p.waitForFunction(
        (min: number) =>
          Number(
            (globalThis as unknown as { document: Doc }).document.getElementById('live-status').dataset[
              'receivedS'
            ] ?? 0,
          ) >= min,
        3,
        { timeout: 20_000 },
      );
      const received = Number(await status.getAttribute('data-received-s'));
      const hz = String(await status.getAttribute('data-tone-hz'))
        .split(',')
        .map(Number);
      await screenshot(p, 'live');
      assert.equal(hz.length, 2, `two channels: ${hz.join()}`);
      assert.ok(Math.abs(hz[0]! - TONES[0]) <= TONES[0] * 0.03, `customer lane ${hz[0]} Hz`);
      assert.ok(Math.abs(hz[1]! - TONES[1]) <= TONES[1] * 0.03, `agent lane ${hz[1]} Hz`);
      stop = true;
      await media;
      assert.equal(await sbc.bye(), 200);
      hungUp = true;
      await p.locator('#message', { hasText: 'The call has ended.' }).waitFor({ timeout: 15_000 });
      await p.getByText('No calls in progress.').waitFor({ timeout: 15_000 });
      const audit = await call(`${origin}/api/v1/audit`, { token: await token('dora') });
      const entries = json(audit)['entries'] as {
        action: string;
        recordingId: string;
        reason: string;
        detail: unknown;
      }[];
      const live = entries.filter((e) => e.action === 'listen' && e.recordingId === id);
      assert.equal(live.length, 1);
      assert.equal(live[0]!.reason, 'coaching a new agent');
      assert.deepEqual(live[0]!.detail, { live: true });
      process.stdout.write(
        `      page received ${received.toFixed(1)} s, tones ${hz.join(' / ')} Hz; ended with the call\n`,
      );
    } finally {
      stop = true;
      await media.catch(() => undefined);
      if (!hungUp) await sbc.bye().catch(() => undefined);
    }
  });

  it('over HTTPS: a reason is required, another agent gets 404; the stream carries the tones ≤ 2 s behind', async () => {
    const { call: sbc, id } = await placeCall();
    let stop = false;
    let hungUp = false;
    const media = sbc.sendMedia({ durationMs: 40_000, stop: () => stop });
    try {
      const sam = await token('sam');
      const url = `${origin}/api/v1/calls/${id}/listen`;
      const noReason = await call(url, { token: sam });
      assert.equal(noReason.status, 400);
      assert.equal((json(noReason)['error'] as { code: string }).code, 'CV_ERR_API_REASON_REQUIRED');
      const bob = await token('bob');
      const other = await call(`${url}?reason=not%20my%20call`, { token: bob });
      assert.equal(other.status, 404);
      assert.deepEqual(json(await call(`${origin}/api/v1/calls`, { token: bob }))['items'], []);
      const live = await openLive(`${url}?reason=checking%20the%20stream`, sam);
      const threeS = 3 * 8000 * 2 * 2;
      await until(() => live.pcmBytes >= threeS, 'three seconds of live audio', 15_000);
      const info = readWav(Buffer.concat([...live.header, ...live.pcm]));
      const l = channelFrequency(info, 0, 1, 3);
      const r = channelFrequency(info, 1, 1, 3);
      assert.ok(Math.abs(l - TONES[0]) <= 3, `left ${l} Hz`);
      assert.ok(Math.abs(r - TONES[1]) <= 3, `right ${r} Hz`);
      assert.equal(live.silentTails, 0, 'no silence while the tone plays');
      // The delay: from the moment the SBC stops sending the tone to silence in the stream.
      const stoppedAt = Date.now();
      live.watchSilenceAfterMs = stoppedAt;
      stop = true;
      await until(() => live.silentAtMs !== null, 'silence in the stream after the tone stopped', 10_000);
      const delayMs = live.silentAtMs! - stoppedAt;
      assert.ok(delayMs <= 2000, `live delay ${delayMs} ms`);
      await media;
      assert.equal(await sbc.bye(), 200);
      hungUp = true;
      await until(() => live.ended, 'the stream ends with the call', 15_000);
      process.stdout.write(
        `      first byte after ${live.firstByteMs} ms; left ${l.toFixed(0)} Hz, right ${r.toFixed(0)} Hz; ` +
          `tone stop heard after ${delayMs} ms; stream ended with the call\n`,
      );
    } finally {
      stop = true;
      await media.catch(() => undefined);
      if (!hungUp) await sbc.bye().catch(() => undefined);
    }
  });

  it('a logout ends a live listen within seconds, while the call goes on', async () => {
    const { call: sbc, id } = await placeCall();
    let stop = false;
    const media = sbc.sendMedia({ durationMs: 40_000, stop: () => stop });
    try {
      const sam = await token('sam');
      const live = await openLive(`${origin}/api/v1/calls/${id}/listen?reason=until%20logout`, sam);
      await until(() => live.pcmBytes > 8000, 'live audio', 15_000);
      const out = await call(`${origin}/api/v1/session`, { method: 'DELETE', token: sam });
      assert.equal(out.status, 204);
      const t0 = Date.now();
      await until(() => live.ended, 'the stream ends after the logout', 5000);
      const other = await token('dora');
      const calls = json(await call(`${origin}/api/v1/calls`, { token: other }))['items'] as { id: string }[];
      assert.ok(
        calls.some((c) => c.id === id),
        'the call itself goes on',
      );
      process.stdout.write(`      stream ended ${Date.now() - t0} ms after the logout\n`);
    } finally {
      stop = true;
      await media.catch(() => undefined);
      await sbc.bye().catch(() => undefined);
    }
  });
});
