import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigError,
  POLICY_PRESETS,
  PRESET_NAMES,
  resolvePolicy,
  type Policy,
} from '../../../agent/src/config/index.js';
import { POLICY_FIELDS } from '../../../agent/src/config/schema.js';

const SHARED = join(process.cwd(), '..', 'shared');

describe('config/policy', function () {
  this.timeout(2000);

  it('ships one complete, frozen preset per seed, each field in the schema', () => {
    assert.deepEqual(Object.keys(POLICY_PRESETS).sort(), [...PRESET_NAMES].sort());
    for (const [name, policy] of Object.entries(POLICY_PRESETS)) {
      assert.equal(policy.name, name);
      assert.ok(Object.isFrozen(policy) && Object.isFrozen(policy.consent));
      assert.match(policy.source, /^shared\/seeds\/00\d_[0-9a-f]+\.txt$/);
      if (existsSync(SHARED)) assert.ok(existsSync(join(SHARED, '..', policy.source)), policy.source);
      for (const field of Object.keys(POLICY_FIELDS.fields))
        assert.ok(Object.hasOwn(policy, field), `${name}.${field}`);
      assert.equal(policy.require_access_reason, true);
      assert.equal(policy.record_from, 'answer');
    }
  });

  it('carries the retention and consent rules of the notices', () => {
    const p = POLICY_PRESETS;
    assert.deepEqual(
      PRESET_NAMES.map((n) => p[n].retention_days),
      [30, 365, 180, 30, 90],
    );
    assert.equal(p.victoriahem.legal_hold_allowed, true);
    assert.equal(p.hrm.record_outbound, true);
    assert.equal(p.hrm.agent_access, 'own');
    assert.equal(p.hrm.number_privacy, true);
    assert.equal(p.retta.extend_while_case_open, true);
    assert.equal(p['upplands-bro'].on_expiry, 'anonymise');
    assert.equal(p['upplands-bro'].anonymise_after_case_closed_days, 30);
    assert.deepEqual(p.arlo.consent, {
      mode: 'dtmf',
      accept_digit: '1',
      decline_digit: '2',
      timeout_ms: 10000,
      on_decline: 'discard',
    });
    assert.equal(p.arlo.withdraw_consent_erases, true);
    assert.equal(p.arlo.qa_pseudonymised, true);
    assert.equal(p.arlo.agent_access, 'none');
    assert.ok(PRESET_NAMES.every((n) => p[n].no_transfer_outside_eea));
  });

  it('resolvePolicy finds presets and custom policies, and rejects unknown names by code', () => {
    assert.equal(resolvePolicy('retta'), POLICY_PRESETS.retta);
    const mine: Policy = { ...POLICY_PRESETS.hrm, name: 'mine', retention_days: 5 };
    assert.equal(resolvePolicy('mine', { mine }), mine);
    assert.throws(
      () => resolvePolicy('nope', { mine }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.code === 'CV_ERR_CONFIG_INVALID' &&
        err.problems[0]?.key === 'policy.name',
    );
  });
});
