/**
 * Search by quality in the web console, against the real daemon: three SIPREC calls (clean,
 * 20 % loss, no media), then the search form's "MOS at or below" and "Media" filters in headless
 * Chromium, and the quality badge on each result row.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { call, json } from '../helpers/https.js';
import { AGENT, SiprecClient, finishedRecord, rtpRangeSet } from '../kit/index.js';
import {
  chromiumMissing,
  closeCheckingCsp,
  logIn,
  openBrowser,
  screenshot,
  type ConsoleBrowser,
} from '../helpers/console-browser.js';

const PW = 'sam has a long passphrase';

/** The calls placed: service name → loss in percent, or null for no RTP at all. */
const CALLS = [
  ['clean', 0],
  ['lossy', 20],
  ['silent', null],
] as const;

describe('integration: web console search by quality', function () {
  this.timeout(240_000);
  let work: string;
  let daemon: RunningDaemon | undefined;
  let origin: string;
  let b: ConsoleBrowser | undefined;
  /** service → {id, mos} as the API reports it. */
  const placed = new Map<string, { id: string; mos: number | null }>();

  before(async function () {
    const missing = chromiumMissing();
    if (missing !== null) {
      process.stdout.write(`      skipped: ${missing}\n`);
      this.skip();
    }
    work = mkdtempSync(join(tmpdir(), 'cv-console-quality-'));
    const sets = await isolatedSets(join(work, 'storage'), [rtpRangeSet(), 'sip.default_country=SE']);
    const r = await ctl(sets, ['users', 'add', 'sam', '--role', 'supervisor', '--password-stdin'], {
      stdin: PW,
    });
    assert.equal(r.code, 0, r.stderr);
    daemon = await startDaemon(sets);
    origin = daemon.apiUrl!;
    const client = await SiprecClient.to(daemon, 'udp');
    try {
      const ids = await Promise.all(
        CALLS.map(async ([service, lossPct], i) => {
          const c = await client.call({
            streams: [
              { label: 'caller', codec: 'PCMU', toneHz: 440 },
              { label: 'agent', codec: 'PCMU', toneHz: 1000 },
            ],
            caller: { name: 'Kalle Kund', aor: `sip:+4670333000${i}@sbc.operator.example` },
            callee: AGENT,
            direction: 'inbound',
            service,
          });
          assert.equal(await c.invite(), 200);
          if (lossPct !== null) await c.sendMedia({ durationMs: 2000, lossPct, seed: i + 1 });
          assert.equal(await c.bye(), 200);
          return (await finishedRecord(sets, daemon!.logs, c.callId)).id;
        }),
      );
      const login = await call(`${origin}/api/v1/session`, {
        method: 'POST',
        json: { username: 'sam', password: PW },
      });
      const token = String(json(login)['token']);
      for (const [i, [service]] of CALLS.entries()) {
        const rec = await call(`${origin}/api/v1/recordings/${ids[i]!}`, { token });
        assert.equal(rec.status, 200);
        const q = json(rec)['quality'] as { mos: number | null } | null;
        placed.set(service, { id: ids[i]!, mos: q?.mos ?? null });
      }
    } finally {
      await client.close();
    }
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

  /** The result rows as [service, quality badge text]. */
  async function results(p: Page): Promise<string[][]> {
    await p.locator('#results, section[aria-label="Results"] p').first().waitFor({ timeout: 15_000 });
    const rows = p.locator('#results tbody tr');
    const out: string[][] = [];
    for (let i = 0; i < (await rows.count()); i++) {
      const cells = rows.nth(i).locator('td');
      out.push([String(await cells.nth(3).textContent()), String(await cells.nth(5).textContent())]);
    }
    return out.sort();
  }

  it('filters by MOS at or below and by no media; each row shows its quality badge', async () => {
    const clean = placed.get('clean')!;
    const lossy = placed.get('lossy')!;
    assert.ok(clean.mos !== null && lossy.mos !== null && lossy.mos < clean.mos, JSON.stringify([...placed]));
    assert.equal(placed.get('silent')!.mos, null);
    const p = await logIn(b!, origin, 'sam', PW);
    const search = async (): Promise<string[][]> => {
      await p.locator('section[aria-label="Results"]').evaluate((el) => el.replaceChildren());
      await p.getByRole('button', { name: 'Search' }).click();
      return results(p);
    };

    assert.deepEqual(await search(), [
      ['clean', `MOS ${clean.mos!.toFixed(2)}`],
      ['lossy', `MOS ${lossy.mos.toFixed(2)}`],
      ['silent', 'no media'],
    ]);
    await screenshot(p, 'search-quality-all');

    await p.getByLabel('MOS at or below (1–5)').fill(lossy.mos.toFixed(2));
    assert.deepEqual(await search(), [['lossy', `MOS ${lossy.mos.toFixed(2)}`]]);
    await screenshot(p, 'search-quality-mos');

    await p.getByLabel('MOS at or below (1–5)').fill('');
    await p.getByLabel('Media').selectOption('no_media');
    assert.deepEqual(await search(), [['silent', 'no media']]);

    await p.getByLabel('Media').selectOption('one_way');
    assert.deepEqual(await search(), []);
    assert.equal(await p.getByText('No recordings match.').count(), 1);
    process.stdout.write(
      `      MOS clean ${clean.mos!.toFixed(2)}, 20 % loss ${lossy.mos.toFixed(2)}; ` +
        'all 3, MOS ≤ lossy 1, no media 1, one-way 0\n',
    );
  });
});
