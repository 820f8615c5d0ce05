/**
 * The shipped alert rules (firmware-config/alerts/callvault.rules.yml): valid for Prometheus,
 * and each alert fires (and stays quiet) on the hand-written series of
 * test/fixtures/alerts/callvault.test.yml. The end-to-end test fires them from a real scrape.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../../helpers/daemon.js';
import { RULES_FILE, alertRules, promtool } from '../../helpers/promtool.js';

const TESTS_FILE = join(ROOT, 'test', 'fixtures', 'alerts', 'callvault.test.yml');

describe('metrics: alert rules', function () {
  this.timeout(60_000);

  it('passes promtool check rules', () => {
    const r = promtool(['check', 'rules', RULES_FILE]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS: \d+ rules found/);
  });

  it('passes promtool test rules with the fixture series', () => {
    const r = promtool(['test', 'rules', TESTS_FILE]);
    assert.equal(r.code, 0, r.out);
  });

  it('covers what the issue asks for, and every alert is shown firing in the fixture', () => {
    const names = [...alertRules().keys()];
    for (const needed of [
      'CallvaultStorageLow',
      'CallvaultDiskFilling',
      'CallvaultRecordingsFailing',
      'CallvaultIntegrityFailure',
      'CallvaultRetentionOverdue',
      'CallvaultNoMediaCalls',
      'CallvaultOneWayMediaCalls',
      'CallvaultPacketLoss',
      'CallvaultTrunkSilent',
      'CallvaultVaultWriteBacklogGrowing',
      'CallvaultCertificateExpiring',
    ])
      assert.ok(names.includes(needed), `${needed} missing`);
    const doc = parse(readFileSync(TESTS_FILE, 'utf8')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const firing = new Set(
      doc.tests.flatMap((t) =>
        t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
      ),
    );
    for (const name of names) assert.ok(firing.has(name), `${name} is never shown firing`);
  });
});
