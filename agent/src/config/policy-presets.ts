/**
 * The shipped policies: each is the complete recording policy of one seed privacy notice
 * (shared/seeds/, Swedish). Each field quotes, in English, the sentence it comes from. Where
 * a notice is silent, the comment says so and the field takes the privacy-protective choice.
 */
import type { Policy } from './types.js';
import type { PresetName } from './schema.js';
import { deepFreeze } from './freeze.js';

const SEEDS = 'shared/seeds';

const victoriahem: Policy = {
  name: 'victoriahem',
  organisation: 'Victoriahem (housing)',
  source: `${SEEDS}/000_731bbc327aa0e5cd.txt`,
  // "We store the recording for 30 days."
  retention_days: 30,
  // Silent on open cases; the only longer retention is the crime-evidence case below (legal hold).
  extend_while_case_open: false,
  // "We store the recording for 30 days." — nothing of it is kept afterwards.
  on_expiry: 'delete',
  // Silent: no anonymisation is described.
  anonymise_after_case_closed_days: null,
  // "If the recording may constitute evidence of a crime directed at our employees, it may be kept
  // for as long as needed for the suspicion to be investigated."
  legal_hold_allowed: true,
  // "You also have the right to demand that the processing of your personal data be restricted,
  // e.g. if you object that your data is incorrect or incomplete."
  restriction_allowed: true,
  // "We process the personal data on the basis of a balancing of interests." — no consent prompt.
  consent: {
    mode: 'none',
    accept_digit: null,
    decline_digit: null,
    timeout_ms: 10000,
    on_decline: 'discard',
  },
  // "You also have the right to have the personal data erased when the processing is based on
  // consent and this has been withdrawn."
  withdraw_consent_erases: true,
  // "We collect your personal data from you when you call our customer service." — inbound only.
  record_outbound: false,
  // Silent on when recording starts; the recorder's rule: from answer to hangup.
  record_from: 'answer',
  // Silent on withheld numbers: honour them.
  number_privacy: true,
  // "Those who may take part of the recording are employees within Victoriahem's customer service
  // and employees who administer tenancies and perform management services in our properties."
  // — supervisors and staff roles see all; an agent account sees its own calls.
  agent_access: 'own',
  // Silent on training copies: pseudonymise them.
  qa_pseudonymised: true,
  // "access: customer service + property management staff": supervisors need no grant.
  supervisor_requires_grant: false,
  // Silent; required everywhere by the product.
  require_access_reason: true,
  // "As a rule Victoriahem does not transfer personal data outside the EU/EEA."
  no_transfer_outside_eea: true,
  notes: [
    'Purpose: "automated analysis of telephone calls in order to improve the quality of the management of our homes".',
    'Shared with processors under data-processing agreements, and with authorities where the law requires it.',
    'Data-subject rights: information, rectification, erasure, restriction, objection, portability.',
  ],
  overridden: [],
};

const hrm: Policy = {
  name: 'hrm',
  organisation: 'HRM — Helsinki Region Environmental Services',
  source: `${SEEDS}/001_e9112002b0d45f02.txt`,
  // "HRM stores recordings of telephone calls for at most 12 months after the call was recorded."
  retention_days: 365,
  // Silent on open cases; longer retention only where law or contracts require it (legal hold).
  extend_while_case_open: false,
  // "HRM keeps personal data only as long as necessary for the purposes defined in section 5."
  on_expiry: 'delete',
  // Silent: no anonymisation is described.
  anonymise_after_case_closed_days: null,
  // "The customer's personal data may also be kept longer if applicable legislation or contractual
  // obligations towards third parties that bind HRM require a longer retention period."
  legal_hold_allowed: true,
  // "In certain situations the customer has the right to request that processing be restricted,
  // to object to processing or to request that data be erased."
  restriction_allowed: true,
  // "The legal basis for the processing of personal data is HRM's statutory obligations."
  consent: {
    mode: 'none',
    accept_digit: null,
    decline_digit: null,
    timeout_ms: 10000,
    on_decline: 'discard',
  },
  // Statutory basis, no consent to withdraw; erasure goes through a request to the DPO.
  withdraw_consent_erases: false,
  // "Calls are also recorded when HRM's customer advisor calls a customer."
  record_outbound: true,
  // "Recording of calls begins when HRM's customer advisor answers the call. Recording ends when
  // the customer or HRM's customer advisor hangs up."
  record_from: 'answer',
  // "For calls the following is also stored: … the customer's telephone number (if it is not secret)"
  number_privacy: true,
  // "HRM's customer advisors' user rights are limited to their own calls. Managers and system
  // administrators can listen to all recordings."
  agent_access: 'own',
  // Silent on pseudonymising training copies ("training of customer service staff" is a purpose):
  // pseudonymise them.
  qa_pseudonymised: true,
  // "supervisors and system administrators may listen to all".
  supervisor_requires_grant: false,
  // "Only the persons who need the data for their work have access to these systems."
  require_access_reason: true,
  // "Data is not transferred to countries outside the EU or the European Economic Area."
  no_transfer_outside_eea: true,
  notes: [
    "Per call: start time (date, time), the service the call concerns, name of the customer advisor who took it, the customer's phone number (unless secret), call length.",
    'Statistics and reports may be compiled only in a form that cannot identify individual customers.',
    "Calls are stored as .wav files on a server in the telephone operator's premises, protected by access control.",
    'Users have personal user names and passwords; maintenance staff are bound by confidentiality.',
  ],
  overridden: [],
};

const retta: Policy = {
  name: 'retta',
  organisation: 'Retta Isännöinti Oy / Retta Oy (property management)',
  source: `${SEEDS}/002_7a2cafb786c69f55.txt`,
  // "Data stored in the customer service system is kept for 180 days."
  retention_days: 180,
  // "If handling an individual task in customer service requires it, the data may be kept longer
  // where needed, until the task in question has been completed."
  extend_while_case_open: true,
  // "the data subject has the right to have their personal data erased … if the personal data is
  // no longer needed for the purposes for which it was collected"
  on_expiry: 'delete',
  // Silent: no anonymisation is described.
  anonymise_after_case_closed_days: null,
  // "Other customer feedback and complaints are kept until the feedback or complaint has been
  // handled, or as long as necessary for possible legal action."
  legal_hold_allowed: true,
  // "The data subject has the right to restrict processing in certain circumstances … for example
  // where the data subject contests the accuracy of the personal data."
  restriction_allowed: true,
  // "The processing of personal data is based on the controller's legitimate interest."
  consent: {
    mode: 'none',
    accept_digit: null,
    decline_digit: null,
    timeout_ms: 10000,
    on_decline: 'discard',
  },
  // "If the processing is based solely on the data subject's consent, the data subject has the
  // right to withdraw consent at any time."
  withdraw_consent_erases: true,
  // "All incoming customer contacts to the centre, for example e-mail and calls, are stored in a
  // customer service system." — incoming only.
  record_outbound: false,
  // Silent on when recording starts; the recorder's rule: from answer to hangup.
  record_from: 'answer',
  // Silent on withheld numbers: honour them.
  number_privacy: true,
  // "access rights to the systems are granted only to persons for whom it is necessary with regard
  // to their work or tasks."
  agent_access: 'own',
  // Silent on training copies: pseudonymise them.
  qa_pseudonymised: true,
  // Silent on a DPO's grant: supervisors see all calls.
  supervisor_requires_grant: false,
  // Same sentence as agent_access: access only where the work needs it.
  require_access_reason: true,
  // "As a rule, data is not disclosed outside the EU or EEA."
  no_transfer_outside_eea: true,
  notes: [
    'Per contact: date and time, customer name, phone number and e-mail address, and the recording.',
    'Right of access with a copy; portability "in a structured, commonly used and machine-readable format".',
    'Identity is checked before data is disclosed.',
    'No profiling and no automated decision-making.',
  ],
  overridden: [],
};

const upplandsBro: Policy = {
  name: 'upplands-bro',
  organisation: 'Upplands-Bro kommun (contact centre)',
  source: `${SEEDS}/003_6eb388835634b64f.txt`,
  // Telephone: "The data is anonymised after 30 days, which means all personal data is removed
  // from the case management system."
  retention_days: 30,
  // Silent on keeping personal data longer for open cases: the case outlives the personal data.
  extend_while_case_open: false,
  // Same sentence: personal data is removed, the case itself is kept.
  on_expiry: 'anonymise',
  // E-services: "The data is anonymised 30 days after the case has been closed in the case
  // management system, which means all personal data is removed from the message."
  anonymise_after_case_closed_days: 30,
  // Silent: no retention beyond the 30 days is described.
  legal_hold_allowed: false,
  // "You have the right to contact us … to request that we restrict the processing, to object"
  restriction_allowed: true,
  // "The legal basis for processing your personal data is public interest."
  consent: {
    mode: 'none',
    accept_digit: null,
    decline_digit: null,
    timeout_ms: 10000,
    on_decline: 'discard',
  },
  // Public-interest basis, no consent to withdraw; erasure goes through a request.
  withdraw_consent_erases: false,
  // "When you contact us via our contact centre through any of our channels…" — incoming only.
  record_outbound: false,
  // Silent on when recording starts; the recorder's rule: from answer to hangup.
  record_from: 'answer',
  // Telephone: "The data we store … is: your telephone number and the information you may give in
  // your case." — store the minimum; honour withheld numbers.
  number_privacy: true,
  // Silent on staff access: least privilege.
  agent_access: 'own',
  // Silent on training copies: pseudonymise them.
  qa_pseudonymised: true,
  // Silent on a DPO's grant: supervisors see all calls.
  supervisor_requires_grant: false,
  // Silent; required everywhere by the product.
  require_access_reason: true,
  // "However, we will never transfer your data to a country outside the EU."
  no_transfer_outside_eea: true,
  notes: [
    "Per channel only the minimum: for telephone, the caller's number and what they say about the case.",
    'Anonymisation removes all personal data; the case itself is kept.',
    'Rights: information, rectification, portability, restriction, objection, erasure.',
  ],
  overridden: [],
};

const arlo: Policy = {
  name: 'arlo',
  organisation: 'Verisure Arlo Europe DAC',
  source: `${SEEDS}/004_3fd79dd381c12284.txt`,
  // "The call recordings are stored for 90 days. After that they are deleted automatically by the
  // software used for the recording."
  retention_days: 90,
  // Same sentence: no extension.
  extend_while_case_open: false,
  // Same sentence: deleted.
  on_expiry: 'delete',
  // Silent: no anonymisation is described.
  anonymise_after_case_closed_days: null,
  // Same sentence: deleted automatically after 90 days, no exception is described.
  legal_hold_allowed: false,
  // Silent; GDPR art. 18 applies whatever the notice says.
  restriction_allowed: true,
  consent: {
    // "Arlo Europe processes personal data collected by recording incoming telephone calls on the
    // basis of the data subject's consent."
    mode: 'dtmf',
    // "Press 1 if you consent to this telephone call being recorded. The call will now be
    // connected to a representative and the recording will start."
    accept_digit: '1',
    // "Press 2 if you do not consent to this call being recorded."
    decline_digit: '2',
    // "Arlo Europe shall ensure that consent is given freely and is specific, informed and
    // unambiguous." — no digit within 10 s is no consent.
    timeout_ms: 10000,
    // "The call will now be connected to a representative and the call will not be recorded."
    on_decline: 'discard',
  },
  // "You have the right to withdraw your consent at any time by contacting us, which will mean
  // that we remove the recording from our systems."
  withdraw_consent_erases: true,
  // "Arlo Europe records and uses incoming telephone calls to train staff in the customer service
  // team" — incoming only.
  record_outbound: false,
  // "The call will now be connected to a representative and the recording will start."
  record_from: 'answer',
  // Silent on withheld numbers: honour them.
  number_privacy: true,
  // "The data protection officer grants access to call recordings to managers responsible for
  // training and quality assurance." — agents get none.
  agent_access: 'none',
  // "The recorded telephone calls used for training purposes are pseudonymised, which means that
  // all direct identifiers such as your name are removed from the recording."
  qa_pseudonymised: true,
  // "The data protection officer grants access to call recordings to managers responsible for
  // training and quality assurance." — no grant, no access.
  supervisor_requires_grant: true,
  // "Reviewing recordings without valid reasons is forbidden."
  require_access_reason: true,
  // Silent on transfers; the appliance keeps everything on premises.
  no_transfer_outside_eea: true,
  notes: [
    "Purposes: training customer-service staff and quality assurance only; new purposes need the DPO's approval.",
    'Access to recordings is controlled by the DPO and protected by password.',
    'The IT team supervises the recording system and reviews the supplier.',
    'Data-subject access requests follow the internal D-SAR routine.',
  ],
  overridden: [],
};

/** The five shipped presets, by `policy.name`. Deep-frozen. */
export const POLICY_PRESETS: Readonly<Record<PresetName, Policy>> = deepFreeze({
  victoriahem,
  hrm,
  retta,
  'upplands-bro': upplandsBro,
  arlo,
});
