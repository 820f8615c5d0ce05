/**
 * The web console against the real daemon: its cookie session and CSRF rule over plain HTTPS,
 * and its pages in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core).
 * Screenshots of each page go to var/artifacts/console/ (git-ignored).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { makeToneWav } from '../helpers/audio.js';
import { call, json, type Reply } from '../helpers/https.js';

export const PW = (name: string): string => `${name} has a long passphrase`;
export const USERS = [
  ['sam', 'supervisor', null],
  ['ada', 'agent', '1001'],
  ['bob', 'agent', '1002'],
  ['dora', 'dpo', null],
] as const;

export interface ConsoleFixture {
  /** https://host:port */
  origin: string;
  /** The call of agent 1001 with +46701000001 (8 s of 440/880 Hz). */
  adaCall: string;
  /** The call of agent 1002 with +46701000002. */
  bobCall: string;
  work: string;
}

function setCookie(r: Reply): string {
  const h = r.headers['set-cookie'];
  return Array.isArray(h) ? h.join('\n') : String(h ?? '');
}

async function cookieLogin(origin: string, name: string): Promise<{ cookie: string; csrf: string; r: Reply }> {
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
    makeToneWav(wav, 8, [440, 880]);
    const imp = async (meta: Record<string, string>): Promise<string> => {
      const r = await ctl(sets, ['import', wav, '--meta', JSON.stringify(meta)]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    };
    fx.adaCall = await imp({ number: '+46701000001', agent: '1001', service: 'billing' });
    fx.bobCall = await imp({ number: '+46701000002', agent: '1002', service: 'sales' });
    for (const [name, role, agent] of USERS) {
      const extra = agent === null ? [] : ['--agent', agent];
      const r = await ctl(sets, ['users', 'add', name, '--role', role, ...extra, '--password-stdin'], {
        stdin: PW(name),
      });
      assert.equal(r.code, 0, r.stderr);
    }
    daemon = await startDaemon(sets);
    fx.origin = `https://${sets.find((s) => s.startsWith('api.listen='))!.split('=')[1]}`;
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
        assert.ok(c.split(';').some((p) => p.trim() === flag), `${flag} missing: ${c}`);
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
      process.stdout.write(`      no token → ${none.status}, wrong → ${wrong.status}, right → ${ok.status}\n`);
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

});
