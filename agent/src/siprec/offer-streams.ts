/**
 * Which participant's voice each offered stream carries. Metadata associations decide when they
 * exist (a stream sent by two participants, or sent and received by one, is mixed); otherwise
 * labels such as a_leg/b_leg, then m-line position, with a lone stream taken as mixed.
 */
import type { Participant, ParticipantRole, StreamInfo } from '../session/index.js';
import type { RecordingMetadata } from './metadata.js';
import type { CodecChoice } from './sdp-answer.js';
import type { SdpMedia } from './sdp.js';

const CALLER_LABEL = /^(a[_-]?leg|caller|calling|a[_-]?party)$/i;
const CALLEE_LABEL = /^(b[_-]?leg|callee|called|b[_-]?party)$/i;
const MIXED_LABEL = /mix/i;

export function streamInfo(
  media: SdpMedia,
  codecs: CodecChoice,
  position: number,
  count: number,
  participants: readonly Participant[],
  metadata: RecordingMetadata | null,
): StreamInfo {
  const label = media.label ?? `m${media.index}`;
  let participantId: string | null = null;
  let mixed = false;
  let decided = false;
  const metaStream = metadata?.streams.find((s) => s.label !== null && s.label === media.label);
  if (metadata !== null && metaStream !== undefined) {
    const senders = metadata.participants.filter((p) => p.sends.includes(metaStream.id));
    const loopback = senders.some((p) => p.receives.includes(metaStream.id));
    if (senders.length > 0) {
      decided = true;
      mixed = senders.length > 1 || loopback || metaStream.mode?.toLowerCase() === 'mixed';
      participantId = mixed ? null : (senders[0]?.id ?? null);
    } else if (metaStream.mode?.toLowerCase() === 'mixed') {
      decided = true;
      mixed = true;
    }
  }
  if (!decided) {
    const byRole = (role: ParticipantRole): string | null =>
      participants.find((p) => p.role === role)?.id ?? null;
    if (MIXED_LABEL.test(label) || (count === 1 && participants.length > 1)) mixed = true;
    else if (CALLER_LABEL.test(label)) participantId = byRole('caller');
    else if (CALLEE_LABEL.test(label)) participantId = byRole('callee');
    else if (count === participants.length) {
      const ordered = [
        ...participants.filter((p) => p.role === 'caller'),
        ...participants.filter((p) => p.role === 'callee'),
      ];
      participantId = ordered[position]?.id ?? null;
    }
  }
  return {
    label,
    participantId,
    mixed,
    codec: codecs.codec.encoding.toUpperCase(),
    payloadType: codecs.codec.payloadType,
    clockRate: codecs.codec.clockRate,
    channels: codecs.codec.channels,
    telephoneEventPayloadType: codecs.telephoneEvent?.payloadType ?? null,
    direction: media.direction,
  };
}
