/**
 * Each role in the web console sees the actions its API authorisation allows, and what a page
 * says when the recording changes under it (erased, restricted). Also the first load's weight
 * and time on loopback (issue 17's budget: ≤ 300 KB, interactive ≤ 1 s).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { makeToneWav } from '../helpers/audio.js';
import { call } from '../helpers/https.js';
import {
  chromiumMissing,
  closeCheckingCsp,
  logIn,
  openBrowser,
  screenshot,
  type ConsoleBrowser,
} from '../helpers/console-browser.js';
import { addUsers, importRecording, login, passphrase as PW } from '../kit/index.js';

const USERS = [
  ['sam', 'supervisor', null],
  ['ada', 'agent', '1001'],
  ['alma', 'admin', null],
  ['quinn', 'qa', null],
  ['dora', 'dpo', null],
] as const;

interface Shown {
  player: boolean;
  dpoActions: boolean;
  auditTrail: boolean;
  dsarLink: boolean;
  liveLink: boolean;
}

describe('integration: web console by role', function () {
  this.timeout(240_000);
  let work: string;
  let daemon: RunningDaemon | undefined;
  let origin: string;
  let sets: string[];
  let b: ConsoleBrowser | undefined;

  const importCall = (number: string): Promise<string> =>
    importRecording(sets, join(work, 'tone.wav'), { number, agent: '1001', service: 'billing' });
  const token = (name: string): Promise<string> => login(`${origin}/api/v1`, name, PW(name));

  before(async function () {
    const missing = chromiumMissing();
    if (missing !== null) {
      process.stdout.write(`      skipped: ${missing}\n`);
      this.skip();
    }
    work = mkdtempSync(join(tmpdir(), 'cv-console-roles-'));
    sets = await isolatedSets(join(work, 'storage'), [
      'sip.default_country=SE',
      'api.login_max_failures_per_source=1000',
    ]);
    makeToneWav(join(work, 'tone.wav'), 20, [440, 880]);
    await addUsers(sets, USERS, PW);
    daemon = await startDaemon(sets);
    origin = daemon.apiUrl!;
  });
  beforeEach(async () => {
    b = await openBrowser();
  });
  afterEach(async () => {
    const open = b;
    b = undefined;
    await closeCheckingCsp(open);
  });
  after(async () => {
    await daemon?.stop('SIGTERM');
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  async function shown(p: Page): Promise<Shown> {
    return {
      player: (await p.locator('#play').count()) === 1,
      dpoActions: (await p.locator('#act-hold').count()) === 1,
      auditTrail: (await p.locator('#a-title').count()) === 1,
      dsarLink: await p.getByRole('link', { name: 'Data-subject export' }).isVisible(),
      liveLink: await p.getByRole('link', { name: 'Live calls' }).isVisible(),
    };
  }

  it('each role sees the actions its authorisation allows on a recording page', async () => {
    const id = await importCall('+46701000011');
    const want: Record<string, Shown> = {
      sam: { player: true, dpoActions: false, auditTrail: false, dsarLink: false, liveLink: true },
      ada: { player: true, dpoActions: false, auditTrail: false, dsarLink: false, liveLink: true },
      alma: { player: true, dpoActions: false, auditTrail: true, dsarLink: false, liveLink: true },
      dora: { player: true, dpoActions: true, auditTrail: true, dsarLink: true, liveLink: true },
    };
    for (const [name, expected] of Object.entries(want)) {
      const p = await logIn(b!, origin, name, PW(name));
      await p.goto(`${origin}/#/recording/${id}`);
      await p.locator('#play').waitFor({ timeout: 15_000 });
      if (expected.auditTrail) await p.locator('#a-title').waitFor({ timeout: 15_000 });
      assert.deepEqual(await shown(p), expected, name);
      await screenshot(p, `recording-${name}`);
      await p.getByRole('button', { name: 'Log out' }).click();
      await p.locator('#login-title').waitFor();
    }
    // QA without a grant sees no recordings: the search says a grant is missing, and no live calls.
    const q = await logIn(b!, origin, 'quinn', PW('quinn'));
    await q.getByRole('button', { name: 'Search' }).click();
    await q.locator('#message', { hasText: 'no grant in force' }).waitFor({ timeout: 15_000 });
    assert.equal(await q.getByRole('link', { name: 'Live calls' }).isVisible(), false);
    await screenshot(q, 'search-qa');
    process.stdout.write(`      ${Object.keys(want).length + 1} roles checked\n`);
  });

  it('a recording erased while its page is open: play says not found, nothing plays', async () => {
    const id = await importCall('+46701000012');
    const p = await logIn(b!, origin, 'sam', PW('sam'));
    await p.goto(`${origin}/#/recording/${id}`);
    await p.locator('#reason').fill('reviewing before erasure');
    const erased = await call(`${origin}/api/v1/recordings/${id}`, {
      method: 'DELETE',
      token: await token('dora'),
      json: { reason: 'data subject asked' },
    });
    assert.equal(erased.status, 200, erased.body.toString());
    await p.locator('#play').click();
    await p.locator('#player-note', { hasText: 'Not found' }).waitFor({ timeout: 15_000 });
    assert.equal(await p.locator('#audio').getAttribute('src'), null, 'the audio is stopped');
    await screenshot(p, 'erased');
  });

  it('a recording restricted while its page is open: play says it is refused (423), nothing plays', async () => {
    const id = await importCall('+46701000013');
    const p = await logIn(b!, origin, 'sam', PW('sam'));
    await p.goto(`${origin}/#/recording/${id}`);
    await p.locator('#reason').fill('reviewing a restricted call');
    const r = await call(`${origin}/api/v1/recordings/${id}/restriction`, {
      method: 'POST',
      token: await token('dora'),
      json: { restricted: true, reason: 'accuracy contested' },
    });
    assert.equal(r.status, 200);
    await p.locator('#play').click();
    await p.locator('#player-note', { hasText: 'restricted' }).waitFor({ timeout: 15_000 });
    assert.equal(await p.locator('#audio').getAttribute('src'), null);
  });

  it('first load: at most 300 KB, and the page marks when its login form is usable', async () => {
    const loads: { bytes: number; readyMs: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await b!.context.newPage();
      const bodies: Promise<number>[] = [];
      p.on('response', (res) =>
        bodies.push(
          res.body().then(
            (body) => body.length + JSON.stringify(res.headers()).length,
            () => 0,
          ),
        ),
      );
      await p.goto(`${origin}/`);
      await p.locator('#username').waitFor();
      await p.waitForLoadState('networkidle');
      // The page's own clock, from navigation start to the login form (app.js marks it).
      type Perf = { getEntriesByName(n: string): { startTime: number }[] };
      const readyMs = await p.evaluate(
        () =>
          (globalThis as unknown as { performance: Perf }).performance.getEntriesByName('cv-ready')[0]
            ?.startTime ?? Infinity,
      );
      loads.push({ bytes: (await Promise.all(bodies)).reduce((a, n) => a + n, 0), readyMs });
      await p.close();
    }
    const bytes = Math.max(...loads.map((l) => l.bytes));
    const readyMs = Math.min(...loads.map((l) => l.readyMs));
    process.stdout.write(
      `      first load ${(bytes / 1024).toFixed(1)} KB; login form ready after ` +
        `${loads.map((l) => l.readyMs.toFixed(0)).join(' / ')} ms\n`,
    );
    assert.ok(bytes <= 300 * 1024, `${bytes} bytes`);
    // The time itself is a benchmark figure (scripts/bench/console-bench.ts, target ≤ 1 s), not
    // a test's: on a shared CI machine it follows the load. Here: the mark the bench reads exists.
    assert.ok(Number.isFinite(readyMs) && readyMs > 0, `cv-ready mark: ${readyMs}`);
  });
});
