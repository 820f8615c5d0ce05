/**
 * What the daemon states about its policy when it starts: the effective policy (the selected
 * one with its `--set policy.*` overrides) in one line a technician or auditor can read in the
 * journal, and a warning when nothing can tell which side of a call is the agent's.
 */
import type { Config } from './types.js';

/** The object of the 'policy in force' log line: no personal data, only the rules. */
export function policyInForce(config: Config): Record<string, unknown> {
  const p = config.policy;
  return {
    policy: p.name,
    organisation: p.organisation,
    overridden: p.overridden,
    retentionDays: p.retention_days,
    onExpiry: p.on_expiry,
    consent: p.consent.mode,
    withdrawConsentErases: p.withdraw_consent_erases,
    recordOutbound: p.record_outbound,
    recordFrom: p.record_from,
    qaPseudonymised: p.qa_pseudonymised,
    requireAccessReason: p.require_access_reason,
    // The appliance has no off-box destination (no remote log, backup or export target): every
    // copy leaves through the admin API or the CLI to a person on premises. Said here so an
    // auditor of a notice that forbids transfers outside the EU/EEA finds it in the journal.
    transfersOutsideEea: p.no_transfer_outside_eea ? 'refused' : 'not restricted by policy',
    offBoxDestinations: offBoxDestinations(config),
    // The notice's other duties, for the people running the box.
    notes: p.notes,
  };
}

/**
 * Config keys that would send recordings or personal data off this box. None exists today;
 * a key added later (remote syslog, backup target, export URL) must be listed here and be
 * refused by config validation while policy.no_transfer_outside_eea is true (docs/decisions.md).
 */
export function offBoxDestinations(_config: Config): string[] {
  return [];
}

/**
 * The 'direction must come from the SBC' warning, or null. Without agent rules
 * (sip.agent_number_prefixes, sip.agent_extension_max_digits) the recorder can tell the
 * customer from the agent only by the direction the SBC sends; every preset needs that:
 * record_outbound (either way) is decided on it, and agent_access 'own' and the DSAR search
 * need the agent and the customer in the right fields.
 */
export function sidesWarning(config: Config): Record<string, unknown> | null {
  const { sip, policy } = config;
  if (sip.agent_number_prefixes.length > 0 || sip.agent_extension_max_digits > 0) return null;
  return {
    policy: policy.name,
    recordOutbound: policy.record_outbound,
    defaultDirection: sip.default_direction,
    fix: 'send X-Call-Direction or SIPREC direction metadata from the SBC, or set sip.agent_number_prefixes / sip.agent_extension_max_digits',
  };
}
