/**
 * The web console against the real daemon: its cookie session and CSRF rule over plain HTTPS,
 * and its pages in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core).
 * Screenshots of each page go to var/artifacts/console/ (git-ignored).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import {
  chromiumMissing,
  logIn,
  openBrowser,
  screenshot,
  type ConsoleBrowser,
} from '../helpers/console-browser.js';
import { makeToneWav } from '../helpers/audio.js';
import { call, json, type Reply } from '../helpers/https.js';
import { addUsers, importRecording, passphrase as PW } from '../kit/index.js';

const USERS = [
  ['sam', 'supervisor', null],
  ['ada', 'agent', '1001'],
  ['bob', 'agent', '1002'],
  ['dora', 'dpo', null],
  ['alma', 'admin', null],
] as const;
/** Seconds of the imported calls: long enough that a seek lands well inside. */
const CALL_S = 30;

interface ConsoleFixture {
  /** https://host:port */
  origin: string;
  /** The call of agent 1001 with +46701000001. */
  adaCall: string;
  /** The call of agent 1002 with +46701000002. */
  bobCall: string;
  work: string;
}

function setCookie(r: Reply): string {
  const h = r.headers['set-cookie'];
  return Array.isArray(h) ? h.join('\n') : String(h ?? '');
}

async function cookieLogin(
  origin: string,
  name: string,
): Promise<{ cookie: string; csrf: string; r: Reply }> {
  const r = await call(`${origin}/api/v1/session`, {
    method: 'POST',
    json: { username: name, password: PW(name), cookie: true },
  });
  assert.equal(r.status, 200, r.body.toString());
  const m = /(__Host-cv_session=[A-Za-z0-9_-]+)/.exec(setCookie(r));
  assert.ok(m, `no session cookie in ${setCookie(r)}`);
  return { cookie: m[1]!, csrf: String(json(r)['csrf']), r };
}

describe('integration: web console', function () {
  this.timeout(240_000);
  const fx: ConsoleFixture = { origin: '', adaCall: '', bobCall: '', work: '' };
  let daemon: RunningDaemon | undefined;

  before(async () => {
    fx.work = mkdtempSync(join(tmpdir(), 'cv-console-'));
    const sets = await isolatedSets(join(fx.work, 'storage'), [
      'sip.default_country=SE',
      'api.login_max_failures_per_source=1000',
    ]);
    const wav = join(fx.work, 'tone.wav');
    makeToneWav(wav, CALL_S, [440, 880]);
    fx.adaCall = await importRecording(sets, wav, {
      number: '+46701000001',
      agent: '1001',
      service: 'billing',
    });
    fx.bobCall = await importRecording(sets, wav, {
      number: '+46701000002',
      agent: '1002',
      service: 'sales',
    });
    await addUsers(sets, USERS, PW);
    daemon = await startDaemon(sets);
    fx.origin = daemon.apiUrl!;
  });
  after(async () => {
    await daemon?.stop('SIGTERM');
    rmSync(fx.work, { recursive: true, force: true });
  });

  describe('cookie session and CSRF', () => {
    it('a console login sets an HttpOnly, Secure, SameSite=Strict cookie and no token in the body', async () => {
      const { r } = await cookieLogin(fx.origin, 'sam');
      const c = setCookie(r);
      for (const flag of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/'])
        assert.ok(
          c.split(';').some((p) => p.trim() === flag),
          `${flag} missing: ${c}`,
        );
      assert.equal(json(r)['token'], undefined);
      assert.match(String(json(r)['csrf']), /^[A-Za-z0-9_-]{20,}$/);
      // The bearer login is unchanged: a token and no cookie.
      const b = await call(`${fx.origin}/api/v1/session`, {
        method: 'POST',
        json: { username: 'sam', password: PW('sam') },
      });
      assert.equal(b.status, 200);
      assert.equal(typeof json(b)['token'], 'string');
      assert.equal(b.headers['set-cookie'], undefined);
    });

    it('the cookie reads; a change needs the X-CSRF-Token or is refused 403 CV_ERR_API_CSRF', async () => {
      const { cookie, csrf } = await cookieLogin(fx.origin, 'dora');
      const me = await call(`${fx.origin}/api/v1/session`, { headers: { cookie } });
      assert.equal(me.status, 200);
      assert.equal(json(me)['role'], 'dpo');
      assert.equal(json(me)['csrf'], csrf);
      assert.equal(typeof json(me)['timeZone'], 'string');
      const list = await call(`${fx.origin}/api/v1/recordings`, { headers: { cookie } });
      assert.equal(list.status, 200);
      const hold = `${fx.origin}/api/v1/recordings/${fx.bobCall}/legal-hold`;
      const body = { hold: false, reason: 'console csrf check' };
      const none = await call(hold, { method: 'POST', headers: { cookie }, json: body });
      assert.equal(none.status, 403);
      assert.equal((json(none)['error'] as { code: string }).code, 'CV_ERR_API_CSRF');
      const wrong = await call(hold, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': `${csrf.slice(0, -2)}xx` },
        json: body,
      });
      assert.equal(wrong.status, 403);
      const ok = await call(hold, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf }, json: body });
      assert.equal(ok.status, 200, ok.body.toString());
      process.stdout.write(
        `      no token → ${none.status}, wrong → ${wrong.status}, right → ${ok.status}\n`,
      );
    });

    it('logout needs the token, clears the cookie and ends the session', async () => {
      const { cookie, csrf } = await cookieLogin(fx.origin, 'sam');
      const refused = await call(`${fx.origin}/api/v1/session`, { method: 'DELETE', headers: { cookie } });
      assert.equal(refused.status, 403);
      const out = await call(`${fx.origin}/api/v1/session`, {
        method: 'DELETE',
        headers: { cookie, 'x-csrf-token': csrf },
      });
      assert.equal(out.status, 204);
      assert.match(setCookie(out), /__Host-cv_session=;.*Max-Age=0/);
      const after = await call(`${fx.origin}/api/v1/session`, { headers: { cookie } });
      assert.equal(after.status, 401);
    });
  });

  describe('pages in headless Chromium', function () {
    let b: ConsoleBrowser | undefined;
    let context: BrowserContext | undefined;

    before(function () {
      const missing = chromiumMissing();
      if (missing !== null) {
        process.stdout.write(`      skipped: ${missing}\n`);
        this.skip();
      }
    });
    beforeEach(async () => {
      b = await openBrowser();
      context = b.context;
    });
    afterEach(async () => {
      const csp = b?.cspViolations.splice(0) ?? [];
      await b?.close();
      b = undefined;
      assert.deepEqual(csp, [], 'the page broke its own CSP');
    });

    const login = (name: string): Promise<Page> => logIn(b!, fx.origin, name, PW(name));
    const shot = screenshot;

    // The page's document, typed just enough: the tests compile without the DOM library, and
    // run as functions (the console's CSP forbids evaluating strings in the page).
    type Doc = {
      getElementById(id: string): { currentTime: number; value: string; dispatchEvent(e: unknown): void };
    };
    const currentTime = (p: Page): Promise<number> =>
      p.evaluate(
        () => (globalThis as unknown as { document: Doc }).document.getElementById('audio').currentTime,
      );
    const playedPast = (p: Page, s: number, timeoutMs: number): Promise<unknown> =>
      p.waitForFunction(
        (min: number) =>
          (globalThis as unknown as { document: Doc }).document.getElementById('audio').currentTime >= min,
        s,
        { timeout: timeoutMs },
      );

    it('a supervisor finds a call by a national number, is refused without a reason, plays and seeks', async () => {
      const first = await context!.newPage();
      await first.goto(`${fx.origin}/`);
      await first.locator('#username').waitFor();
      await shot(first, 'login');
      await first.close();
      const p = await login('sam');
      assert.match(String(await p.locator('#zone').textContent()), /^Times in \S+/);
      await p.getByLabel('Number (any spelling)').fill('070-100 00 01');
      await p.getByRole('button', { name: 'Search' }).click();
      const rows = p.locator('#results tbody tr');
      await rows.first().waitFor({ timeout: 15_000 });
      assert.equal(await rows.count(), 1);
      assert.match(String(await rows.first().textContent()), /\+46701000001.*billing/);
      await shot(p, 'search');
      await rows.first().getByRole('link', { name: 'Open' }).click();
      await p.locator('#play').waitFor();
      await p.locator('#play').click();
      assert.match(String(await p.locator('#player-note').textContent()), /why you are listening/);
      assert.equal(await p.locator('#audio').getAttribute('src'), null, 'no audio request without a reason');
      await p
        .getByLabel('Reason for listening (recorded in the audit log)')
        .fill('quality review of a billing call');
      await p.locator('#play').click();
      await playedPast(p, 1.1, 30_000);
      const src = String(await p.locator('#audio').getAttribute('src'));
      assert.ok(!/token|bearer/i.test(src), `audio URL carries no token: ${src}`);
      const played = await currentTime(p);
      // Two lanes, customer and agent, each with its level while the stereo call plays.
      type Meters = { getElementById(id: string): { value: number } };
      await p.waitForFunction(
        () =>
          ['lane-customer', 'lane-agent'].every(
            (id) => (globalThis as unknown as { document: Meters }).document.getElementById(id).value > 0.05,
          ),
        undefined,
        { timeout: 10_000 },
      );
      await shot(p, 'player');
      await p.evaluate(() => {
        const el = (globalThis as unknown as { document: Doc }).document.getElementById('position');
        el.value = '20';
        el.dispatchEvent(new Event('input'));
      });
      await playedPast(p, 20, 15_000);
      process.stdout.write(
        `      currentTime ${played.toFixed(2)} s, after the seek ${(await currentTime(p)).toFixed(2)} s of ${CALL_S} s\n`,
      );
    });

    it("an agent sees only its own calls; another agent's call is not found", async () => {
      const p = await login('ada');
      await p.getByRole('button', { name: 'Search' }).click();
      const rows = p.locator('#results tbody tr');
      await rows.first().waitFor({ timeout: 15_000 });
      assert.equal(await rows.count(), 1);
      assert.match(String(await rows.first().textContent()), /\+46701000001/);
      await shot(p, 'search-agent');
      await p.goto(`${fx.origin}/#/recording/${fx.bobCall}`);
      await p.locator('#message:not([hidden])').waitFor({ timeout: 15_000 });
      assert.match(String(await p.locator('#message').textContent()), /Not found/);
      assert.equal(await p.locator('#play').count(), 0);
    });

    it('a DPO puts a hold (reason, confirmation) and exports a DSAR archive', async () => {
      const p = await login('dora');
      await p.goto(`${fx.origin}/#/recording/${fx.adaCall}`);
      await p.locator('#act-hold').click();
      await p.locator('#confirm').waitFor();
      await p.locator('#confirm-ok').click();
      assert.match(String(await p.locator('#confirm-error').textContent()), /reason/);
      await p.locator('#confirm-reason').fill('litigation 2026-17');
      await p.locator('#confirm-ok').click();
      await p.getByRole('button', { name: 'Release legal hold' }).waitFor({ timeout: 15_000 });
      const me = await call(`${fx.origin}/api/v1/session`, {
        method: 'POST',
        json: { username: 'dora', password: PW('dora') },
      });
      const rec = await call(`${fx.origin}/api/v1/recordings/${fx.adaCall}`, {
        token: String(json(me)['token']),
      });
      assert.equal(json(rec)['legalHold'], true);
      await p.locator('#audit').waitFor({ timeout: 15_000 });
      assert.match(String(await p.locator('#audit').textContent()), /litigation 2026-17/);
      await shot(p, 'recording-dpo');
      await p.getByRole('link', { name: 'Data-subject export' }).click();
      await p.getByLabel('Number (any spelling)').fill('070-100 00 01');
      await p.getByRole('button', { name: 'Export…' }).click();
      await p.locator('#confirm-reason').fill('identity checked by passport');
      const [download] = await Promise.all([p.waitForEvent('download'), p.locator('#confirm-ok').click()]);
      const saved = join(fx.work, 'dsar.tar');
      await download.saveAs(saved);
      const listing = execFileSync('tar', ['-tf', saved], { encoding: 'utf8' }).split('\n').filter(Boolean);
      assert.ok(listing.includes('manifest.json'), listing.join(' '));
      assert.equal(listing.filter((f) => f.endsWith('.wav')).length, 1, listing.join(' '));
      await shot(p, 'dsar');
      process.stdout.write(`      DSAR archive: ${listing.join(', ')}\n`);
    });

    it('the cookie is HttpOnly, Secure, SameSite=Strict; a change without the CSRF token is 403', async () => {
      const p = await login('dora');
      const cookies = await context!.cookies();
      const c = cookies.find((k) => k.name === '__Host-cv_session');
      assert.ok(c, cookies.map((k) => k.name).join());
      assert.equal(c.httpOnly, true);
      assert.equal(c.secure, true);
      assert.equal(c.sameSite, 'Strict');
      assert.equal(
        await p.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie),
        '',
        'scripts cannot read the session',
      );
      const refused = await p.evaluate(async (id) => {
        const r = await fetch(`/api/v1/recordings/${id}/legal-hold`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ hold: true, reason: 'forged from the page' }),
        });
        return { status: r.status, body: (await r.json()) as { error: { code: string } } };
      }, fx.bobCall);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'CV_ERR_API_CSRF');
    });

    it('a session ended elsewhere stops the audio and says so', async () => {
      const p = await login('sam');
      await p.goto(`${fx.origin}/#/recording/${fx.adaCall}`);
      await p.locator('#reason').fill('checking the expiry message');
      await p.locator('#play').click();
      await playedPast(p, 0.5, 30_000);
      const admin = await call(`${fx.origin}/api/v1/session`, {
        method: 'POST',
        json: { username: 'alma', password: PW('alma') },
      });
      const end = await call(`${fx.origin}/api/v1/users/sam/sessions`, {
        method: 'DELETE',
        token: String(json(admin)['token']),
      });
      assert.equal(end.status, 200);
      await p.locator('#login-title').waitFor({ timeout: 15_000 });
      assert.match(String(await p.locator('#message').textContent()), /session has expired/);
      assert.equal(await p.locator('audio').count(), 0, 'the player is gone');
      await shot(p, 'expired');
    });
  });
});
