/** The schema of a recording policy: fields shared by policy.custom.<name> and policy overrides. */
import { REQUIRED, section, type SectionNode } from './schema-types.js';

export const PRESET_NAMES = ['victoriahem', 'hrm', 'retta', 'upplands-bro', 'arlo'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export const POLICY_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
export const POLICY_NAME_EXPECT = 'a policy name (lowercase letters, digits and "-", starting with a letter)';
const DTMF_PATTERN = /^[0-9*#A-D]$/;
const DTMF_EXPECT = 'one DTMF digit 0-9, *, # or A-D, or off';

/** The fields of a policy: the same under policy.custom.<name> and as overrides under policy. */
export const POLICY_FIELDS: SectionNode = section('A recording policy.', {
  organisation: {
    kind: 'string',
    pattern: /^.{1,200}$/,
    expect: 'a name of 1-200 characters',
    default: REQUIRED,
    doc: 'The organisation whose privacy notice this policy implements.',
  },
  retention_days: {
    kind: 'int',
    min: 1,
    max: 3650,
    unit: 'days',
    default: REQUIRED,
    doc: 'Days a recording is kept, counted from the start of the call; then retention acts (on_expiry).',
  },
  extend_while_case_open: {
    kind: 'bool',
    default: REQUIRED,
    doc: 'Keep a recording past retention_days while a case or complaint linked to it is still open.',
  },
  on_expiry: {
    kind: 'enum',
    values: ['delete', 'anonymise'],
    default: REQUIRED,
    doc: 'delete: crypto-shred audio and index entry. anonymise: destroy the audio and the personal data, keep the case record.',
  },
  anonymise_after_case_closed_days: {
    kind: 'int',
    min: 0,
    max: 3650,
    unit: 'days',
    nullable: true,
    default: REQUIRED,
    doc: 'For a recording linked to a case: anonymise this many days after the case closes. off = not used.',
  },
  legal_hold_allowed: {
    kind: 'bool',
    default: REQUIRED,
    doc: 'The DPO may put a recording on legal hold, which stops deletion.',
  },
  restriction_allowed: {
    kind: 'bool',
    default: REQUIRED,
    doc: 'The DPO may restrict a recording (GDPR art. 18): no listening, no deletion.',
  },
  consent: section('Whether audio is kept only after the caller consents.', {
    mode: {
      kind: 'enum',
      values: ['none', 'dtmf', 'metadata'],
      default: REQUIRED,
      doc: 'none: record without asking. dtmf: the IVR asks and the caller presses a digit (RFC 4733). metadata: the SBC signals consent in SIPREC metadata or a header.',
    },
    accept_digit: {
      kind: 'string',
      pattern: DTMF_PATTERN,
      expect: DTMF_EXPECT,
      nullable: true,
      default: REQUIRED,
      doc: 'Digit that gives consent (mode dtmf).',
    },
    decline_digit: {
      kind: 'string',
      pattern: DTMF_PATTERN,
      expect: DTMF_EXPECT,
      nullable: true,
      default: REQUIRED,
      doc: 'Digit that declines (mode dtmf).',
    },
    timeout_ms: {
      kind: 'int',
      min: 1000,
      max: 600000,
      unit: 'ms',
      default: REQUIRED,
      doc: 'No consent within this time counts as declined.',
    },
    on_decline: {
      kind: 'enum',
      values: ['discard', 'keep_metadata'],
      default: REQUIRED,
      doc: 'discard: keep nothing of a declined call. keep_metadata: keep the non-audio record.',
    },
  }),
  withdraw_consent_erases: {
    kind: 'bool',
    default: REQUIRED,
    doc: 'Withdrawing consent erases every recording of that caller.',
  },
  record_outbound: {
    kind: 'bool',
    default: REQUIRED,
    doc: 'Record calls agents place to customers, not only incoming calls.',
  },
  record_from: {
    kind: 'enum',
    values: ['answer'],
    default: REQUIRED,
    doc: 'When recording starts: when the agent answers (it always ends at hangup).',
  },
  number_privacy: {
    kind: 'bool',
    default: REQUIRED,
    doc: 'Honour withheld / secret numbers: they are not stored or shown.',
  },
  agent_access: {
    kind: 'enum',
    values: ['own', 'none'],
    default: REQUIRED,
    doc: 'own: an agent sees only their own calls. none: agents see no recordings.',
  },
  qa_pseudonymised: {
    kind: 'bool',
    default: REQUIRED,
    doc: 'qa accounts see and hear pseudonymised training copies only (and only while granted); off: a granted qa account sees all calls.',
  },
  supervisor_requires_grant: {
    kind: 'bool',
    default: false,
    doc: 'Supervisors list and hear recordings only while the DPO has granted them access (grant add); off: they see all calls.',
  },
  require_access_reason: {
    kind: 'bool',
    mustBe: { value: true, why: 'nobody hears a call without a stated reason' },
    default: REQUIRED,
    doc: 'Every audio access needs a stated reason (always true).',
  },
  no_transfer_outside_eea: {
    kind: 'bool',
    default: REQUIRED,
    doc: 'Recordings and exports never leave the EU/EEA.',
  },
  notes: {
    kind: 'string_list',
    default: [],
    doc: 'Other duties of the notice, for people (DSAR handling, purposes).',
  },
});

export const CUSTOM_POLICY: SectionNode = section('A policy defined in this file.', {
  extends: {
    kind: 'enum',
    values: PRESET_NAMES,
    nullable: true,
    default: null,
    doc: 'A preset whose fields fill in every field not given here. off: every field must be given.',
  },
  ...POLICY_FIELDS.fields,
});
