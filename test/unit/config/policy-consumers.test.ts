/**
 * Every field of the policy schema has code that obeys it (issue 16 item 8). The table names,
 * per field, the module(s) that read it; the test fails when the schema grows a field without an
 * entry, and when a named module no longer reads the field (checked in its code, comments
 * stripped). Then: the effective policy (the preset with its `--set policy.*` overrides) is what
 * legal hold, retention's decisions and an index rebuild apply.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigError } from '../../../agent/src/config/index.js';
import { loadConfig, policyInForce, POLICY_PRESETS, type Config } from '../../../agent/src/config/index.js';
import { POLICY_FIELDS, type SectionNode } from '../../../agent/src/config/schema.js';
import { silentLogger } from '../../../agent/src/common/index.js';
import {
  importWav,
  openStorage,
  parseImportMeta,
  rebuildIndex,
  showRecording,
  type Actor,
} from '../../../agent/src/storage/index.js';
import { runRetention, setLegalHold } from '../../../agent/src/retention/index.js';
import { DEV_CONFIG } from '../../helpers/daemon.js';
import { wavOf } from '../../helpers/shred-scan.js';

type How = 'enforced' | 'refused' | 'stated' | 'pinned';

/** Field (dotted for consent.*) → the modules that read it, and how. */
const POLICY_CONSUMERS: Readonly<Record<string, { how: How; readers: readonly string[] }>> = {
  organisation: { how: 'stated', readers: ['config/policy-statement.ts'] },
  retention_days: { how: 'enforced', readers: ['storage/records.ts', 'storage/dpo-state.ts'] },
  extend_while_case_open: { how: 'enforced', readers: ['storage/dpo-state.ts'] },
  on_expiry: { how: 'enforced', readers: ['retention/plan.ts'] },
  anonymise_after_case_closed_days: { how: 'enforced', readers: ['storage/dpo-state.ts'] },
  legal_hold_allowed: { how: 'enforced', readers: ['retention/dpo.ts'] },
  restriction_allowed: { how: 'enforced', readers: ['retention/dpo.ts', 'retention/withdraw.ts'] },
  'consent.mode': { how: 'enforced', readers: ['recorder/call-recorder.ts', 'storage/records.ts'] },
  'consent.accept_digit': { how: 'enforced', readers: ['recorder/dtmf-consent.ts'] },
  'consent.decline_digit': { how: 'enforced', readers: ['recorder/dtmf-consent.ts'] },
  'consent.timeout_ms': { how: 'enforced', readers: ['recorder/call-recorder.ts'] },
  // keep_metadata is refused at load: a declined call keeps nothing.
  'consent.on_decline': { how: 'refused', readers: ['config/policy.ts'] },
  withdraw_consent_erases: { how: 'enforced', readers: ['retention/withdraw.ts'] },
  record_outbound: { how: 'enforced', readers: ['calls/call-manager.ts', 'storage/records.ts'] },
  record_from: { how: 'enforced', readers: ['recorder/call-recorder.ts'] },
  number_privacy: { how: 'enforced', readers: ['recorder/call-metadata.ts'] },
  agent_access: { how: 'enforced', readers: ['api/access.ts'] },
  // qa sees training copies only, while granted (api/access.ts visibility).
  qa_pseudonymised: { how: 'enforced', readers: ['api/access.ts', 'config/policy-statement.ts'] },
  supervisor_requires_grant: { how: 'enforced', readers: ['api/access.ts'] },
  // Pinned true by the schema (mustBe): accessReason() asks every audio access for a reason.
  require_access_reason: { how: 'pinned', readers: ['config/policy-statement.ts'] },
  // No off-box destination exists; stated at start with offBoxDestinations() (decisions.md).
  no_transfer_outside_eea: { how: 'stated', readers: ['config/policy-statement.ts'] },
  notes: { how: 'stated', readers: ['config/policy-statement.ts'] },
};

function schemaFields(node: SectionNode, prefix = ''): string[] {
  return Object.entries(node.fields).flatMap(([k, v]) =>
    v.kind === 'section' ? schemaFields(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

/** Source without comments, so a field named only in a comment does not count as read. */
function code(rel: string): string {
  return readFileSync(join('agent/src', rel), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const ACTOR: Actor = { name: 'cli:test', role: 'dpo', from: 'local' };
const DAY_MS = 86_400_000;

describe('config/policy consumers: every policy field is read by the code that obeys it', function () {
  this.timeout(60_000);

  it('the table covers exactly the fields of the policy schema', () => {
    assert.deepEqual(Object.keys(POLICY_CONSUMERS).sort(), schemaFields(POLICY_FIELDS).sort());
  });

  it('each named module reads its field (outside comments)', () => {
    let checked = 0;
    for (const [field, { readers }] of Object.entries(POLICY_CONSUMERS)) {
      const leaf = field.split('.').pop()!;
      const re = new RegExp(`\\b${leaf}\\b`);
      for (const rel of readers) {
        assert.match(code(rel), re, `${field} is not read in agent/src/${rel}`);
        checked++;
      }
    }
    console.log(`      ${Object.keys(POLICY_CONSUMERS).length} fields, ${checked} reader modules verified`);
  });

  it('the pinned field is pinned in the schema', () => {
    const node = POLICY_FIELDS.fields['require_access_reason'];
    assert.ok(node?.kind === 'bool' && node.mustBe?.value === true);
  });

  it('the start-up statement carries the effective policy with its overrides', () => {
    const config = loadConfig({
      file: DEV_CONFIG,
      sets: ['policy.name=hrm', 'policy.retention_days=7', 'policy.withdraw_consent_erases=true'],
    });
    const line = policyInForce(config);
    assert.equal(line['retentionDays'], 7);
    assert.equal(line['withdrawConsentErases'], true);
    assert.equal(line['qaPseudonymised'], true);
    assert.equal(line['transfersOutsideEea'], 'refused');
    assert.deepEqual(line['offBoxDestinations'], []);
    assert.deepEqual([...(line['overridden'] as string[])].sort(), [
      'retention_days',
      'withdraw_consent_erases',
    ]);
  });

  it('consent.on_decline other than discard is refused at load, naming the key', () => {
    assert.throws(
      () => loadConfig({ file: DEV_CONFIG, sets: ['policy.consent.on_decline=keep_metadata'] }),
      (err: ConfigError) =>
        err.code === 'CV_ERR_CONFIG_INVALID' &&
        err.problems.some((p) => p.key === 'policy.consent.on_decline'),
    );
  });

  it('record_outbound false: an outbound import is refused; true: accepted', () => {
    const now = new Date();
    const outbound = JSON.stringify({ number: '+46701230009', direction: 'outbound' });
    assert.throws(() => parseImportMeta(outbound, POLICY_PRESETS.victoriahem, now), {
      code: 'CV_ERR_STORAGE_BAD_META',
    });
    assert.equal(parseImportMeta(outbound, POLICY_PRESETS.hrm, now).direction, 'outbound');
  });

  describe('one effective policy: overrides hold for hold, retention and rebuild', () => {
    let dir: string;
    const configFor = (extra: string[]): Config =>
      loadConfig({ file: DEV_CONFIG, sets: [`storage.dir=${dir}`, ...extra] });
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'cv-override-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('upplands-bro with legal_hold_allowed=true, on_expiry=delete, retention_days=7', async () => {
      const config = configFor([
        'policy.name=upplands-bro',
        'policy.legal_hold_allowed=true',
        'policy.on_expiry=delete',
        'policy.retention_days=7',
      ]);
      const s = await openStorage({ config, log: silentLogger() });
      try {
        const started = Date.parse('2026-01-01T10:00:00Z');
        const imp = async (n: string): Promise<string> =>
          (
            await importWav(
              s,
              ACTOR,
              wavOf(Buffer.alloc(8000, 1)),
              JSON.stringify({ number: n, startedAt: new Date(started).toISOString() }),
            )
          ).id;
        const a = await imp('+46701230001');
        const held = await imp('+46701230002');
        // upplands-bro's preset refuses legal hold; the override allows it.
        await setLegalHold(s, ACTOR, held, true, 'police request 12');
        const expected = new Date(started + 7 * DAY_MS).toISOString();
        assert.equal((await showRecording(s, a)).expiresAt, expected, 'retention_days=7, not 30');

        const early = await runRetention(s, ACTOR, { at: new Date(started + 6 * DAY_MS), dryRun: true });
        assert.deepEqual([...early.deleted, ...early.anonymised], []);
        await rebuildIndex(s, ACTOR);
        assert.equal((await showRecording(s, a)).expiresAt, expected, 'rebuild keeps the override');
        assert.equal((await showRecording(s, held)).legalHold, true);
        const due = await runRetention(s, ACTOR, { at: new Date(started + 8 * DAY_MS), dryRun: true });
        assert.deepEqual(due.deleted, [a], 'on_expiry=delete, not anonymise');
        assert.deepEqual(due.anonymised, []);
        assert.deepEqual(due.keptOnHold, [held]);
      } finally {
        await s.close();
      }
    });

    it('the preset alone refuses the hold the override allowed', async () => {
      const s = await openStorage({ config: configFor(['policy.name=upplands-bro']), log: silentLogger() });
      try {
        const id = (await importWav(s, ACTOR, wavOf(Buffer.alloc(8000, 1)), JSON.stringify({}))).id;
        await assert.rejects(setLegalHold(s, ACTOR, id, true, 'police request 12'), {
          code: 'CV_ERR_RETENTION_HOLD_NOT_ALLOWED',
        });
      } finally {
        await s.close();
      }
    });
  });
});
