import assert from 'node:assert/strict';
import { loadConfig } from '../../../agent/src/config/index.js';
import { parseImportMeta, expiresAt } from '../../../agent/src/storage/records.js';
import { BadMetadataError } from '../../../agent/src/storage/errors.js';
import { DEV_CONFIG } from '../../helpers/daemon.js';

const sets = ['storage.dir=/tmp'];
const hrm = loadConfig({ file: DEV_CONFIG, sets }).policy;
const arlo = loadConfig({ file: DEV_CONFIG, sets: [...sets, 'policy.name=arlo'] }).policy;
const now = new Date('2026-11-23T10:00:00Z');

function rejects(json: string | undefined, field: string, policy = hrm): void {
  assert.throws(
    () => parseImportMeta(json, policy, now),
    (e: unknown) => {
      assert.ok(e instanceof BadMetadataError, String(e));
      assert.equal(e.code, 'CV_ERR_STORAGE_BAD_META');
      assert.equal(e.context['key'], field);
      return true;
    },
  );
}

describe('storage/records', () => {
  it('normalises the number and fills defaults', () => {
    const m = parseImportMeta(
      JSON.stringify({ number: '0046 70-123 45 67', agent: '1001', service: 'billing' }),
      hrm,
      now,
    );
    assert.equal(m.number, '+46701234567');
    assert.equal(m.direction, 'inbound');
    assert.equal(m.startedAt, now.toISOString());
    assert.equal(m.consent, 'not_required');
    assert.deepEqual(m.flags, ['imported']);
  });

  it('names the field that is wrong', () => {
    rejects('{', '(json)');
    rejects('[1]', '(json)');
    rejects('{"numbr":"+461"}', 'numbr');
    rejects('{"number":"call me"}', 'number');
    rejects('{"direction":"sideways"}', 'direction');
    rejects('{"startedAt":"yesterday"}', 'startedAt');
    rejects('{"agent":""}', 'agent');
  });

  it('under a consent policy, refuses an import without consent or with it declined', () => {
    rejects('{}', 'consent', arlo);
    rejects('{"consent":"declined"}', 'consent', arlo);
    assert.equal(parseImportMeta('{"consent":"given"}', arlo, now).consent, 'given');
  });

  it('expires after the policy retention', () => {
    assert.equal(
      expiresAt('2026-01-01T00:00:00.000Z', { ...hrm, retention_days: 30 }),
      '2026-01-31T00:00:00.000Z',
    );
  });
});
