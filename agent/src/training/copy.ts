/**
 * A pseudonymised training copy (seed 004: "recorded telephone calls used for training purposes
 * are pseudonymised, which means that all direct identifiers such as your name are removed"):
 * a NEW recording, written through the vault like any other (own data key, encrypted, sealed,
 * signed digest, indexed) and flagged `training`. What it keeps of the original is listed in
 * copyMetadata(); everything else — number, names, agent id, case, participants, consent
 * evidence, codec, quality stats, SIP/SIPREC identifiers, the original's id and times — is not
 * carried over. DTMF digits in the audio are found by Goertzel on each channel and silenced.
 *
 * The copy and the original are independent: erasure, consent withdrawal (the copy has no
 * number), retention and anonymisation of one never touch the other. The link between them is
 * kept only in the audit log (`training_copy`: original id, copy id), readable by admin and dpo:
 * the "additional information kept separately" that makes this pseudonymisation (art. 4(5)).
 */
import { randomUUID } from 'node:crypto';
import type { RecordingRecord } from '../index/index.js';
import {
  openCheckedReader,
  policyFor,
  recordFromParts,
  type Actor,
  type CallMetadata,
  type Storage,
} from '../storage/index.js';
import { refuse, RestrictedError, RetentionNotFoundError } from '../retention/index.js';
import { maskDtmf } from './dtmf-mask.js';
import { interleave, pcm16Format, wavToChannels } from './pcm.js';
import { TRAINING_FLAG } from './flag.js';
import { TrainingInProgressError, TrainingNoAudioError, TrainingTooLongError } from './errors.js';

/** Largest decrypted WAV copied (the copy is made in memory, ~4× this at its peak): 2 h of stereo 8 kHz PCM16. */
export const MAX_COPY_SOURCE_BYTES = 256 * 1024 * 1024;

const DAY_MS = 86_400_000;

export interface TrainingCopyResult {
  readonly id: string;
  readonly durationMs: number;
  /** Stretches of audio silenced because they held DTMF. */
  readonly maskedSpans: number;
}

/**
 * What the copy's container (and so its index record and any rebuild) says about it. Kept:
 * direction and service (what the call was about, which training needs; neither names anyone),
 * the policy (its retention rules), consent only as given/not required. The time is the UTC day
 * the copy was made — not the original's, which is the easiest key back to the original —
 * so the copy's retention runs from its own day: the policy's retention_days from then.
 */
export function copyMetadata(original: RecordingRecord, now: Date): CallMetadata {
  return {
    v: 1,
    source: 'import',
    startedAt: new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS).toISOString(),
    direction: original.direction,
    service: original.service,
    number: null,
    numberWithheld: false,
    agent: null,
    agentName: null,
    participants: [],
    caseId: null,
    policy: original.policy,
    consent: original.consent === 'given' ? 'given' : 'not_required',
    codec: null,
    flags: [TRAINING_FLAG],
  };
}

export async function makeTrainingCopy(
  storage: Storage,
  actor: Actor,
  id: string,
  reason: string | null,
  now: Date = new Date(),
): Promise<TrainingCopyResult> {
  const no = (err: Error & { code: string }): Promise<never> =>
    refuse(storage, actor, 'training_copy_refused', id, reason, err);
  const original = await storage.index.getRecording(id);
  if (original === null) return no(new RetentionNotFoundError('recording', id));
  if (original.restricted) return no(new RestrictedError(id, 'a training copy'));
  if (storage.vault.isActive(id)) return no(new TrainingInProgressError(id));
  if (!(await storage.vault.has(id))) return no(new TrainingNoAudioError(id));
  const reader = await openCheckedReader(storage, id, 'export', actor);
  if (reader.size > MAX_COPY_SOURCE_BYTES)
    return no(new TrainingTooLongError(id, reader.size, MAX_COPY_SOURCE_BYTES));
  const pcm = wavToChannels(await reader.readAll());
  const masked = maskDtmf(pcm.channels, pcm.sampleRate);
  const copyId = randomUUID();
  // On record before the copy exists: reading the original is an access like an export.
  await storage.index.appendAudit({
    actor: actor.name,
    role: actor.role,
    action: 'training_copy',
    recordingId: id,
    reason,
    from: actor.from,
    detail: { copyId, maskedSpans: masked.spans.length },
  });
  const meta = copyMetadata(original, now);
  const format = pcm16Format(pcm);
  const writer = await storage.vault.createRecording({
    id: copyId,
    format,
    metadata: meta as unknown as Record<string, unknown>,
    startedAt: new Date(meta.startedAt),
  });
  storage.track(writer);
  let finished;
  try {
    writer.append(interleave(masked.channels));
    finished = await writer.finalize();
  } catch (err) {
    await writer.abort().catch(() => undefined);
    throw err;
  } finally {
    storage.untrack(writer);
  }
  const policy = policyFor(storage.config, original.policy);
  await storage.index.putRecording(recordFromParts(copyId, meta, finished, format, policy));
  storage.counts.written('import');
  return { id: copyId, durationMs: finished.durationMs, maskedSpans: masked.spans.length };
}
