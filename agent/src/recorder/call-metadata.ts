/**
 * SessionInfo → the call description stored in the container and the index. Privacy rules of
 * the policy apply here, once: a withheld number is never stored (seed 001: "unless it is
 * secret"), whatever the ingest path passed along.
 */
import type { Policy } from '../config/index.js';
import type { SessionInfo } from '../session/index.js';
import type { CallMetadata, Consent } from '../storage/index.js';

export function callMetadataFor(
  info: SessionInfo,
  policy: Policy,
  consent: Consent,
  source: 'siprec' | 'tap',
  codec: string | null,
  startedAt: Date,
  consentEvidence: CallMetadata['consentEvidence'] = null,
): CallMetadata {
  const customer = info.participants.find((p) => p.id === info.customerParticipantId) ?? null;
  const hide = (withheld: boolean): boolean => withheld && policy.number_privacy;
  const number = customer !== null && !hide(customer.withheld) ? customer.number : null;
  const flags: string[] = [...info.flags];
  return {
    v: 1,
    source,
    startedAt: startedAt.toISOString(),
    direction: info.direction,
    service: info.service,
    number,
    numberWithheld: customer?.withheld ?? false,
    agent: info.agent.id,
    agentName: info.agent.name,
    participants: info.participants.map((p) => ({
      role: p.role,
      name: hide(p.withheld) ? null : p.name,
      number: hide(p.withheld) ? null : p.number,
      withheld: p.withheld,
      side: p.side === 'agent' ? 'agent' : 'customer',
    })),
    caseId: info.caseId,
    policy: policy.name,
    consent,
    ...(consentEvidence ? { consentEvidence } : {}),
    codec,
    flags,
  };
}
