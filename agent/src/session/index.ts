/** The call-session model both ingest paths produce. It knows nothing of SIP or pcap. */
export type {
  AgentIdentity,
  CallDirection,
  ConsentState,
  DtmfEvent,
  EndReason,
  MediaDirection,
  Participant,
  ParticipantRole,
  ParticipantSide,
  SessionFlag,
  SessionInfo,
  SessionPatch,
  StreamInfo,
} from './types.js';
export { Session, type SessionEvents, type SessionOptions } from './session.js';
export {
  decideSides,
  isAgentByRules,
  DEFAULT_SIDE_RULES,
  type SideDecision,
  type SideRules,
} from './sides.js';
export { resolveService, lookupService, type ServiceMap } from './service.js';
export { SessionEndedError, SessionInvalidError } from './errors.js';
