/**
 * The DPO's grants and training copies in the web console, against the real daemon: the DPO
 * grants a qa account, makes a training copy from a recording's page, the qa user plays the copy,
 * and after the DPO revokes the grant the qa user's next action says that no grant is in force
 * (a 403 shown as such, never an empty list).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { makeToneWav } from '../helpers/audio.js';
import { call, json } from '../helpers/https.js';
import { untilAsync } from '../helpers/until.js';
import {
  chromiumMissing,
  logIn,
  openBrowser,
  openContext,
  screenshot,
  type ConsoleBrowser,
} from '../helpers/console-browser.js';
import { addUsers, importRecording, login } from '../kit/index.js';

const PW = (name: string): string => `${name} has a long passphrase`;
const USERS = [
  ['dora', 'dpo'],
  ['quinn', 'qa'],
] as const;
const NO_GRANT = /no grant in force/;

/** The page's document, typed just enough (the tests compile without the DOM library). */
type Doc = { getElementById(id: string): { currentTime: number } | null };
const playedPast = (p: Page, s: number, timeoutMs: number): Promise<unknown> =>
  p.waitForFunction(
    (min: number) =>
      ((globalThis as unknown as { document: Doc }).document.getElementById('audio')?.currentTime ?? 0) >=
      min,
    s,
    { timeout: timeoutMs },
  );

/** `ms` as a datetime-local value of wall time in `zone`, to the minute. */
function zonedInput(ms: number, zone: string): string {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p['year']}-${p['month']}-${p['day']}T${p['hour']}:${p['minute']}`;
}

describe('integration: web console grants and training copies', function () {
  this.timeout(240_000);
  let work: string;
  let daemon: RunningDaemon | undefined;
  let origin: string;
  let callId: string;
  let dpoB: ConsoleBrowser | undefined;
  let qaB: ConsoleBrowser | undefined;

  const token = (name: string): Promise<string> => login(`${origin}/api/v1`, name, PW(name));

  before(async function () {
    const missing = chromiumMissing();
    if (missing !== null) {
      process.stdout.write(`      skipped: ${missing}\n`);
      this.skip();
    }
    work = mkdtempSync(join(tmpdir(), 'cv-console-grants-'));
    const sets = await isolatedSets(join(work, 'storage'), [
      'sip.default_country=SE',
      'api.login_max_failures_per_source=1000',
    ]);
    makeToneWav(join(work, 'tone.wav'), 20, [440, 880]);
    callId = await importRecording(sets, join(work, 'tone.wav'), {
      number: '+46701000021',
      agent: '1001',
      service: 'billing',
    });
    await addUsers(sets, USERS, PW);
    // A zone away from UTC (with the browser's own zone left as it is), so the grant's end is
    // shown to be read as the appliance's wall time.
    daemon = await startDaemon(sets, 20_000, { ...process.env, TZ: 'America/Sao_Paulo' });
    origin = daemon.apiUrl!;
  });
  beforeEach(async () => {
    dpoB = await openBrowser();
    qaB = await openContext(dpoB);
  });
  afterEach(async () => {
    const csp = [...(qaB?.cspViolations.splice(0) ?? []), ...(dpoB?.cspViolations.splice(0) ?? [])];
    await qaB?.close();
    await dpoB?.close();
    qaB = dpoB = undefined;
    assert.deepEqual(csp, [], 'the page broke its own CSP');
  });
  after(async () => {
    await daemon?.stop('SIGTERM');
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('the DPO grants qa and makes a training copy; qa plays it; after the revocation qa is told', async () => {
    // Before any grant, qa's search says that a grant is missing (not an empty list).
    const q = await logIn(qaB!, origin, 'quinn', PW('quinn'));
    await q.getByRole('button', { name: 'Search' }).click();
    await q.locator('#message', { hasText: NO_GRANT }).waitFor({ timeout: 15_000 });
    assert.equal(await q.locator('#results').count(), 0);

    // The DPO adds a grant: user, until (wall time in the appliance's zone), reason, confirmation.
    const d = await logIn(dpoB!, origin, 'dora', PW('dora'));
    const zone = String(await d.locator('#zone').textContent()).replace(/^Times in /, '');
    await d.getByRole('link', { name: 'Grants' }).click();
    await d.locator('#grants-title').waitFor();
    await d.locator('#grants-none').waitFor({ timeout: 15_000 });
    const untilMs = Date.now() + 2 * 24 * 3600 * 1000;
    await d.getByLabel('User (a qa or supervisor account)').fill('quinn');
    await d.getByLabel(`Until (${zone})`).fill(zonedInput(untilMs, zone));
    await d.getByRole('button', { name: 'Grant…' }).click();
    await d.locator('#confirm-ok').click();
    assert.match(String(await d.locator('#confirm-error').textContent()), /reason/, 'a reason is required');
    await d.locator('#confirm-reason').fill('QA review of billing calls, ticket 4711');
    await d.locator('#confirm-ok').click();
    const row = d.locator('#grants tbody tr', { hasText: 'quinn' });
    await row.waitFor({ timeout: 15_000 });
    assert.match(String(await row.textContent()), /in force/);
    const dpoToken = await token('dora');
    const listed = await call(`${origin}/api/v1/grants`, { token: dpoToken });
    const grants = json(listed)['grants'] as { user: string; until: string; reason: string }[];
    assert.equal(grants.length, 1);
    // The wall time typed in the appliance's zone is that instant (to the minute) in UTC.
    assert.equal(grants[0]!.until, new Date(Math.floor(untilMs / 60_000) * 60_000).toISOString());
    assert.equal(zone, 'America/Sao_Paulo');
    assert.equal(grants[0]!.reason, 'QA review of billing calls, ticket 4711');
    await screenshot(d, 'grants');

    // A training copy from the recording's page: reason, confirmation, then a link to the copy.
    await d.goto(`${origin}/#/recording/${callId}`);
    await d.locator('#act-training').click();
    await d.locator('#confirm-reason').fill('training material for new agents');
    await d.locator('#confirm-ok').click();
    const link = d.locator('#training-link');
    await link.waitFor({ timeout: 60_000 });
    const copyId = String(await link.textContent());
    assert.notEqual(copyId, callId);
    await screenshot(d, 'training-copy-made');
    await link.click();
    await d.getByRole('heading', { name: `Training copy ${copyId}` }).waitFor({ timeout: 15_000 });
    assert.equal(await d.locator('#act-training').count(), 0, 'no copy of a copy');

    // qa, granted, finds exactly the copy (no number) and plays it past 1 s.
    await q.getByRole('button', { name: 'Search' }).click();
    const rows = q.locator('#results tbody tr');
    await rows.first().waitFor({ timeout: 15_000 });
    assert.equal(await rows.count(), 1);
    assert.doesNotMatch(String(await rows.first().textContent()), /46701000021/);
    await rows.first().getByRole('link', { name: 'Open' }).click();
    await q.getByRole('heading', { name: `Training copy ${copyId}` }).waitFor({ timeout: 15_000 });
    await q.getByLabel('Reason for listening (recorded in the audit log)').fill('coaching session 12');
    await q.locator('#play').click();
    await playedPast(q, 1.1, 30_000);
    await screenshot(q, 'training-copy-qa');

    // The DPO revokes; qa's next action (back to the search) says no grant is in force.
    await d.getByRole('link', { name: 'Grants' }).click();
    await d.getByRole('button', { name: 'Revoke the grant of quinn' }).click();
    await d.locator('#confirm-reason').fill('review finished');
    await d.locator('#confirm-ok').click();
    await d.locator('#grants-none').waitFor({ timeout: 15_000 });
    await q.getByRole('link', { name: 'Search', exact: true }).click();
    await q.getByRole('button', { name: 'Search' }).click();
    await q.locator('#message', { hasText: NO_GRANT }).waitFor({ timeout: 15_000 });
    assert.equal(await q.locator('#results').count(), 0);
    assert.equal(await q.locator('#audio').count(), 0, 'nothing left playing');
    await screenshot(q, 'grant-revoked-qa');
    process.stdout.write(`      grant until ${grants[0]!.until} (${zone}); copy ${copyId} played by qa\n`);
  });

  it('a revoked grant while listening stops the player with the no-grant message', async () => {
    const dpoToken = await token('dora');
    const copy = await call(`${origin}/api/v1/recordings/${callId}/training-copy`, {
      method: 'POST',
      token: dpoToken,
      json: { reason: 'second copy for the player test' },
    });
    assert.equal(copy.status, 201, copy.body.toString());
    const copyId = String(json(copy)['id']);
    const grant = await call(`${origin}/api/v1/grants`, {
      method: 'POST',
      token: dpoToken,
      json: { user: 'quinn', until: new Date(Date.now() + 3600_000).toISOString(), reason: 'player check' },
    });
    assert.equal(grant.status, 201, grant.body.toString());
    const q = await logIn(qaB!, origin, 'quinn', PW('quinn'));
    await q.goto(`${origin}/#/recording/${copyId}`);
    await q.getByLabel('Reason for listening (recorded in the audit log)').fill('coaching session 13');
    await q.locator('#play').click();
    await playedPast(q, 0.5, 30_000);
    const revoked = await call(`${origin}/api/v1/grants/${String(json(grant)['id'])}`, {
      method: 'DELETE',
      token: dpoToken,
      json: { reason: 'ended early' },
    });
    assert.equal(revoked.status, 200, revoked.body.toString());
    await q.locator('#player-note', { hasText: NO_GRANT }).waitFor({ timeout: 15_000 });
    assert.equal(await q.locator('#audio').getAttribute('src'), null, 'the audio is stopped');
  });

  it('expired grants are listed only on demand', async () => {
    const dpoToken = await token('dora');
    const r = await call(`${origin}/api/v1/grants`, {
      method: 'POST',
      token: dpoToken,
      json: { user: 'quinn', until: new Date(Date.now() + 3000).toISOString(), reason: 'short trial' },
    });
    assert.equal(r.status, 201, r.body.toString());
    const d = await logIn(dpoB!, origin, 'dora', PW('dora'));
    await d.getByRole('link', { name: 'Grants' }).click();
    await d.locator('#grants-title').waitFor();
    // Bounded wait for the grant to pass its end (3 s), reloading the list each time.
    await untilAsync(
      async () => {
        await d.goto(`${origin}/#/search`);
        await d.goto(`${origin}/#/grants`);
        await d.locator('#grants-none, #grants').first().waitFor({ timeout: 15_000 });
        return (await d.locator('#grants-none').count()) === 1;
      },
      'the grant to expire',
      30_000,
    );
    await d.getByLabel('Show expired grants too').check();
    const row = d.locator('#grants tbody tr', { hasText: 'short trial' });
    await row.waitFor({ timeout: 15_000 });
    assert.match(String(await row.textContent()), /expired/);
    assert.equal(await row.getByRole('button').count(), 0, 'an expired grant has nothing to revoke');
  });
});
