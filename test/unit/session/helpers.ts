/** Builders for session-model tests: a valid SessionInfo with overridable fields. */
import type { Participant, SessionInfo } from '../../../agent/src/session/index.js';

export function participant(overrides: Partial<Participant> & Pick<Participant, 'id' | 'role'>): Participant {
  return { name: null, number: null, aor: null, withheld: false, side: 'unknown', ...overrides };
}

export function sessionInfo(overrides: Partial<SessionInfo> = {}): SessionInfo {
  return {
    id: 'sess-1',
    callId: 'call-1@test',
    sourceSessionId: null,
    direction: 'inbound',
    service: null,
    dialledNumber: null,
    agent: { id: '7300', name: 'Karin' },
    customerParticipantId: 'c',
    agentParticipantId: 'a',
    participants: [
      participant({ id: 'c', role: 'caller', number: '+46701234567', side: 'customer' }),
      participant({ id: 'a', role: 'callee', number: '7300', name: 'Karin', side: 'agent' }),
    ],
    streams: [
      {
        label: '1',
        participantId: 'c',
        mixed: false,
        codec: 'PCMU',
        payloadType: 0,
        clockRate: 8000,
        channels: 1,
        telephoneEventPayloadType: 101,
        direction: 'sendonly',
      },
      {
        label: '2',
        participantId: 'a',
        mixed: false,
        codec: 'PCMU',
        payloadType: 0,
        clockRate: 8000,
        channels: 1,
        telephoneEventPayloadType: 101,
        direction: 'sendonly',
      },
    ],
    startedAt: new Date('2024-05-14T08:00:00Z'),
    answeredAt: null,
    caseId: null,
    consent: 'unknown',
    flags: [],
    ...overrides,
  };
}
