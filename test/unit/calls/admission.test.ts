import assert from 'node:assert/strict';
import { admit, type AdmissionState } from '../../../agent/src/calls/admission.js';
import { REFUSAL_CODES, type RefusalCode } from '../../../agent/src/calls/errors.js';

/** Every fact known and every fact passing: the state of a call that is accepted. */
const OK: AdmissionState = {
  closed: false,
  diskLow: false,
  calls: 3,
  maxCalls: 10,
  loopLagMs: 20,
  overloadLagMs: 200,
  duplicateCallId: false,
  siprec: true,
  acceptPlainInvite: false,
  recordOutbound: true,
  hasSdp: true,
  direction: 'inbound',
};

/** The one change to OK that makes each refusal apply. */
const CAUSES: Record<
  Exclude<RefusalCode, 'bad_body' | 'bad_sdp' | 'no_usable_stream' | 'ports_exhausted' | 'internal'>,
  Partial<AdmissionState>
> = {
  shutting_down: { closed: true },
  disk_full: { diskLow: true },
  max_calls: { calls: 10 },
  overload: { loopLagMs: 201 },
  duplicate_call_id: { duplicateCallId: true },
  not_siprec: { siprec: false },
  no_sdp: { hasSdp: false },
  outbound_not_recorded: { direction: 'outbound', recordOutbound: false },
};

const order = (c: RefusalCode): number => REFUSAL_CODES.indexOf(c);

describe('calls/admission', () => {
  it('accepts a SIPREC inbound offer with room to spare', () => {
    assert.deepEqual(admit(OK), { accept: true });
  });

  for (const [code, cause] of Object.entries(CAUSES) as [RefusalCode, Partial<AdmissionState>][]) {
    it(`refuses ${code} when only that fact fails`, () => {
      assert.deepEqual(admit({ ...OK, ...cause }), { refuse: code });
    });
  }

  it('refuses with the earliest cause when several apply (every pair)', () => {
    const codes = Object.keys(CAUSES) as (keyof typeof CAUSES)[];
    let pairs = 0;
    for (const a of codes)
      for (const b of codes) {
        if (a === b) continue;
        const first = order(a) < order(b) ? a : b;
        assert.deepEqual(admit({ ...OK, ...CAUSES[b], ...CAUSES[a] }), { refuse: first }, `${a} + ${b}`);
        pairs++;
      }
    assert.equal(pairs, 56);
  });

  it('refuses everything with shutting_down while closed, even a perfect offer', () => {
    const all = Object.assign({}, OK, ...Object.values(CAUSES)) as AdmissionState;
    assert.deepEqual(admit(all), { refuse: 'shutting_down' });
  });

  it('judges only the facts given: the offer and the direction pass until known', () => {
    const { hasSdp: _s, direction: _d, ...early } = OK;
    assert.deepEqual(admit({ ...early, recordOutbound: false }), { accept: true });
    assert.deepEqual(admit({ ...early, hasSdp: false }), { refuse: 'no_sdp' });
    assert.deepEqual(admit({ ...early, recordOutbound: false, direction: 'outbound' }), {
      refuse: 'outbound_not_recorded',
    });
  });

  it('sheds at sip.max_calls exactly, and 0 means no limit', () => {
    assert.deepEqual(admit({ ...OK, calls: 9 }), { accept: true });
    assert.deepEqual(admit({ ...OK, calls: 10 }), { refuse: 'max_calls' });
    assert.deepEqual(admit({ ...OK, calls: 10_000, maxCalls: 0 }), { accept: true });
  });

  it('sheds only above sip.overload_lag_ms, and 0 turns lag shedding off', () => {
    assert.deepEqual(admit({ ...OK, loopLagMs: 200 }), { accept: true });
    assert.deepEqual(admit({ ...OK, loopLagMs: 200.5 }), { refuse: 'overload' });
    assert.deepEqual(admit({ ...OK, loopLagMs: 5000, overloadLagMs: 0 }), { accept: true });
  });

  it('takes a plain INVITE only under sip.accept_plain_invite', () => {
    assert.deepEqual(admit({ ...OK, siprec: false, acceptPlainInvite: true }), { accept: true });
  });

  it('records outbound calls when the policy says so, and unknown direction is not outbound', () => {
    assert.deepEqual(admit({ ...OK, direction: 'outbound' }), { accept: true });
    assert.deepEqual(admit({ ...OK, direction: 'unknown', recordOutbound: false }), { accept: true });
  });
});
