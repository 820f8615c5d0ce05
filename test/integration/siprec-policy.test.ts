/**
 * What the policy says about which calls are recorded, against the real daemon: an outbound
 * call under a policy that does not record outbound calls is declined (603, nothing stored),
 * and the daemon states its effective policy and the missing agent rules at start.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { AGENT, SiprecClient, finishedRecord, rtpRangeSet, type OfferSpec } from '../kit/index.js';

function logLines(logs: string): Record<string, unknown>[] {
  return logs
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('integration: the policy decides which calls are recorded', function () {
  this.timeout(90_000);
  let work: string;
  let sets: string[];
  let daemon: RunningDaemon;
  let client: SiprecClient;

  before(async function () {
    this.timeout(30_000);
    work = mkdtempSync(join(tmpdir(), 'cv-sippol-'));
    sets = await isolatedSets(join(work, 'storage'), [rtpRangeSet(), 'policy.name=victoriahem']);
    daemon = await startDaemon(sets);
    client = await SiprecClient.to(daemon, 'udp');
  });
  after(async () => {
    await client?.close();
    await daemon?.stop('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  const offer = (direction: 'inbound' | 'outbound', number: string): OfferSpec => ({
    streams: [
      { label: 'caller', codec: 'PCMU', toneHz: 440 },
      { label: 'agent', codec: 'PCMU', toneHz: 1000 },
    ],
    caller:
      direction === 'inbound' ? { name: 'Kalle Kund', aor: `sip:${number}@sbc.operator.example` } : AGENT,
    callee:
      direction === 'inbound' ? AGENT : { name: 'Kalle Kund', aor: `sip:${number}@sbc.operator.example` },
    direction,
  });

  it('states the effective policy and warns that direction must come from the SBC', () => {
    const lines = logLines(daemon.logs());
    const policy = lines.find((l) => l['msg'] === 'policy in force');
    assert.ok(policy, 'policy in force line');
    assert.equal(policy['policy'], 'victoriahem');
    assert.equal(policy['recordOutbound'], false);
    assert.equal(policy['transfersOutsideEea'], 'refused');
    const warn = lines.filter((l) => String(l['msg']).startsWith('call direction must come from the SBC'));
    assert.equal(warn.length, 1, 'one warning line');
    assert.equal(warn[0]!['level'], 40);
  });

  it('declines an outbound call (603, nothing stored) and records an inbound one', async () => {
    const out = await client.call(offer('outbound', '+46701239001'));
    assert.equal(await out.invite(), 603, 'outbound recording session declined');
    const inbound = await client.call(offer('inbound', '+46701239002'));
    assert.equal(await inbound.invite(), 200);
    await inbound.sendMedia({ durationMs: 1000 });
    assert.equal(await inbound.bye(), 200);
    const rec = await finishedRecord(sets, daemon.logs, inbound.callId);
    assert.equal(rec.direction, 'inbound');
    const list = JSON.parse((await ctl(sets, ['recordings', 'list', '--json'])).stdout) as {
      direction: string;
    }[];
    assert.deepEqual(
      list.map((r) => r.direction),
      ['inbound'],
      'only the inbound call is stored',
    );
    const declined = logLines(daemon.logs()).filter(
      (l) => l['msg'] === 'outbound call not recorded: policy.record_outbound is false',
    );
    assert.equal(declined.length, 1);
  });
});
