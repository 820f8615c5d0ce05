/**
 * Who is the customer and who is the agent. Seed 001 stores the agent's name and the customer's
 * number per call and records outbound calls too, and the recorder puts the customer left and
 * the agent right, so this decision reaches the index and the WAV layout.
 */
import type { CallDirection, Participant, ParticipantSide } from './types.js';

export interface SideRules {
  /** Numbers (or AoR user parts) starting with one of these belong to agents, e.g. '+4687654'. */
  readonly agentNumberPrefixes: readonly string[];
  /** An all-digit number of one of these lengths is an agent extension, e.g. [4] for '7300'. */
  readonly agentExtensionLengths: readonly number[];
  /** Used when neither the ingest path nor the agent rules tell the direction. */
  readonly defaultDirection: CallDirection;
}

export const DEFAULT_SIDE_RULES: SideRules = Object.freeze({
  agentNumberPrefixes: Object.freeze([]),
  agentExtensionLengths: Object.freeze([]),
  defaultDirection: 'unknown',
});

export interface SideDecision {
  readonly direction: CallDirection;
  /** Participants in input order with `side` set; nothing else changed. */
  readonly participants: readonly Participant[];
  readonly customerParticipantId: string | null;
  readonly agentParticipantId: string | null;
  /** What decided it, for the log and the index. */
  readonly basis: 'agent_rules' | 'metadata' | 'direction' | 'none';
}

/** True when a participant's number or AoR user part matches the configured agent rules. */
export function isAgentByRules(participant: Participant, rules: SideRules): boolean {
  if (participant.withheld) return false;
  const candidates = [participant.number, aorUser(participant.aor)].filter(
    (c): c is string => c !== null && c !== '',
  );
  return candidates.some(
    (c) =>
      rules.agentNumberPrefixes.some((prefix) => prefix !== '' && c.startsWith(prefix)) ||
      (/^\d+$/.test(c) && rules.agentExtensionLengths.includes(c.length)),
  );
}

/**
 * Rules, strongest first:
 * 1. the configured agent rules, when exactly one of caller and callee matches them (they also
 *    give the direction when the ingest path did not: an agent caller means outbound);
 * 2. sides the metadata stated explicitly (a participant arriving with side agent/customer);
 * 3. the direction: inbound → the caller is the customer, outbound → the callee is;
 * 4. otherwise every side stays 'unknown' (the recorder then puts the caller left).
 */
export function decideSides(
  participants: readonly Participant[],
  direction: CallDirection,
  rules: SideRules,
): SideDecision {
  const caller = participants.find((p) => p.role === 'caller') ?? null;
  const callee = participants.find((p) => p.role === 'callee') ?? null;

  if (caller !== null && callee !== null) {
    const callerIsAgent = isAgentByRules(caller, rules);
    const calleeIsAgent = isAgentByRules(callee, rules);
    if (callerIsAgent !== calleeIsAgent) {
      const agent = callerIsAgent ? caller : callee;
      const customer = callerIsAgent ? callee : caller;
      const resolved = direction !== 'unknown' ? direction : callerIsAgent ? 'outbound' : 'inbound';
      return assign(participants, resolved, customer.id, agent.id, 'agent_rules');
    }
  }

  const statedAgent = participants.find((p) => p.side === 'agent') ?? null;
  const statedCustomer = participants.find((p) => p.side === 'customer') ?? null;
  if (statedAgent !== null || statedCustomer !== null) {
    const customer = statedCustomer ?? participants.find((p) => p.id !== statedAgent?.id) ?? null;
    const agent = statedAgent ?? participants.find((p) => p.id !== statedCustomer?.id) ?? null;
    const resolved =
      direction !== 'unknown' ? direction : directionFromRoles(customer, rules.defaultDirection);
    return assign(participants, resolved, customer?.id ?? null, agent?.id ?? null, 'metadata');
  }

  const resolved = direction !== 'unknown' ? direction : rules.defaultDirection;
  if (resolved === 'inbound' || resolved === 'outbound') {
    const customer = resolved === 'inbound' ? caller : callee;
    const agent = resolved === 'inbound' ? callee : caller;
    return assign(participants, resolved, customer?.id ?? null, agent?.id ?? null, 'direction');
  }
  return assign(participants, 'unknown', null, null, 'none');
}

function directionFromRoles(customer: Participant | null, fallback: CallDirection): CallDirection {
  if (customer === null) return fallback;
  return customer.role === 'caller' ? 'inbound' : 'outbound';
}

function assign(
  participants: readonly Participant[],
  direction: CallDirection,
  customerId: string | null,
  agentId: string | null,
  basis: SideDecision['basis'],
): SideDecision {
  const sideOf = (p: Participant): ParticipantSide =>
    p.id === customerId ? 'customer' : p.id === agentId ? 'agent' : 'unknown';
  return {
    direction,
    participants: participants.map((p) => ({ ...p, side: sideOf(p) })),
    customerParticipantId: customerId,
    agentParticipantId: agentId,
    basis,
  };
}

/** 'sip:7300@pbx;user=phone' → '7300'; 'tel:+4681234' → '+4681234'; no user part → null. */
function aorUser(aor: string | null): string | null {
  if (aor === null) return null;
  const withoutScheme = aor.replace(/^(sips?|tel):/i, '');
  const at = withoutScheme.indexOf('@');
  const user = at >= 0 ? withoutScheme.slice(0, at) : /^(tel):/i.test(aor) ? withoutScheme : '';
  const bare = user.split(';')[0] ?? '';
  return bare === '' ? null : bare;
}
