import assert from 'node:assert/strict';
import { loadConfig } from '../../../agent/src/config/index.js';
import { decide, anonymised } from '../../../agent/src/retention/plan.js';
import type { RecordingRecord } from '../../../agent/src/index/index.js';
import { DEV_CONFIG } from '../../helpers/daemon.js';

const config = loadConfig({ file: DEV_CONFIG, sets: ['storage.dir=/tmp'] });
const hrm = config.policies['hrm']!;
const upplands = config.policies['upplands-bro']!;
const at = new Date('2026-11-23T12:00:00Z');

function rec(over: Partial<RecordingRecord> = {}): RecordingRecord {
  return {
    id: 'r1',
    source: 'siprec',
    state: 'complete',
    startedAt: '2025-01-01T00:00:00Z',
    endedAt: null,
    durationMs: 1000,
    direction: 'inbound',
    service: 'x',
    number: '+46701234567',
    numberWithheld: false,
    agent: '1001',
    agentName: 'Anna',
    participants: [],
    caseId: 'case-9',
    policy: 'hrm',
    expiresAt: '2026-01-01T00:00:00Z',
    flags: [],
    format: { encoding: 'pcm16', channels: 2, sampleRate: 8000 },
    codec: 'PCMU',
    stats: null,
    digest: 'd',
    signature: 's',
    legalHold: false,
    restricted: false,
    consent: 'not_required',
    ...over,
  };
}

describe('retention/plan', () => {
  it('deletes what has expired, keeps what has not', () => {
    assert.equal(decide(rec(), hrm, at).action, 'delete');
    assert.equal(decide(rec({ expiresAt: '2027-01-01T00:00:00Z' }), hrm, at).why, 'not_due');
  });

  it('legal hold and restriction stop deletion', () => {
    assert.deepEqual(
      [decide(rec({ legalHold: true }), hrm, at).action, decide(rec({ legalHold: true }), hrm, at).why],
      ['keep', 'legal_hold'],
    );
    assert.equal(decide(rec({ restricted: true }), hrm, at).why, 'restricted');
  });

  it('anonymises under a policy that keeps the case, once, removing every personal field', () => {
    assert.equal(decide(rec(), upplands, at).action, 'anonymise');
    const patch = anonymised(rec());
    assert.equal(patch.number, null);
    assert.equal(patch.agent, null);
    assert.equal(patch.agentName, null);
    assert.deepEqual(patch.participants, []);
    assert.ok(patch.flags!.includes('anonymised'));
    assert.equal(decide(rec({ flags: ['anonymised', 'no_audio'] }), upplands, at).why, 'already_anonymised');
  });
});
