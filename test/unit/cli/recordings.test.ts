import assert from 'node:assert/strict';
import { renderRecord, searchArgs } from '../../../agent/src/cli/recordings.js';
import { UsageError } from '../../../agent/src/cli/args.js';

describe('cli/recordings', () => {
  it('passes --min-mos/--max-mos as numbers with the other filters; refuses a bad MOS', () => {
    const a = searchArgs({ 'min-mos': '3.1', 'max-mos': '4', flag: 'one_way' });
    assert.deepEqual([a['minMos'], a['maxMos'], a['flag']], [3.1, 4, 'one_way']);
    for (const bad of ['0.5', '6', 'abc', '-1'])
      assert.throws(() => searchArgs({ 'min-mos': bad }), UsageError, bad);
  });

  it("shows the call's quality in the readable summary", () => {
    const text = renderRecord({
      id: 'r1',
      source: 'siprec',
      state: 'complete',
      startedAt: '2026-03-02T10:00:00.000Z',
      endedAt: '2026-03-02T10:01:00.000Z',
      durationMs: 60_000,
      direction: 'inbound',
      service: null,
      number: null,
      numberWithheld: false,
      agent: null,
      agentName: null,
      participants: [],
      caseId: null,
      policy: 'hrm',
      expiresAt: null,
      flags: [],
      codec: 'PCMU',
      format: { encoding: 'pcm16', channels: 2, sampleRate: 8000 },
      stats: null,
      digest: null,
      legalHold: false,
      restricted: false,
      consent: 'not_required',
      quality: { mos: 3.42, lossPct: 4.5, jitterMs: 12.3 },
    });
    assert.match(text, /Call quality:\s+MOS 3\.42 \(worst stream\), loss 4\.5%, jitter 12\.3 ms/);
  });
});
