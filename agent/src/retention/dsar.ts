/**
 * DSAR export (GDPR art. 15 access with a copy, art. 20 portability): one ustar archive per
 * data subject holding manifest.json (docs/dsar-manifest.schema.json) and the decrypted WAV of
 * each recording of that number, byte for byte what `callvaultctl export` writes.
 *
 * The number is read like every number people type (common/phone-number.ts); one that is not a
 * full number is refused and the refusal audited. The export is audited before its first byte
 * leaves, with the DPO's note of the identity check as reason. Audio is streamed one recording
 * at a time through `sink`: nothing holds more than a chunk of it.
 *
 * What the manifest holds, and what of the agent it leaves out, is in docs/decisions.md.
 */
import { IntegrityError, parseSubjectNumber, tarEnd, tarHeader, tarPadding } from '../common/index.js';
import type { RecordingRecord } from '../index/index.js';
import { openCheckedReader, type Actor, type ChunkSink, type Storage } from '../storage/index.js';

export const DSAR_MANIFEST = 'manifest.json';
export const DSAR_MANIFEST_VERSION = 1;
const PAGE = 1000;

export interface DsarManifestRecording {
  readonly id: string;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly durationMs: number;
  readonly direction: RecordingRecord['direction'];
  readonly service: string | null;
  readonly number: string | null;
  /** Path of the WAV inside the archive; null when the recording has no audio (any longer). */
  readonly audioFile: string | null;
  readonly audioSha256: string | null;
  readonly audioFormat: { encoding: string; channels: number; sampleRate: number } | null;
  /** Who the subject spoke with, by role only: never the agent's name or extension. */
  readonly counterpart: { readonly role: 'agent' };
  readonly source: RecordingRecord['source'];
  readonly policy: string;
  readonly expiresAt: string | null;
  readonly legalHold: boolean;
  readonly restricted: boolean;
  readonly consent: RecordingRecord['consent'];
  readonly consentGivenVia: 'dtmf' | 'metadata' | 'import' | null;
  readonly consentAt: string | null;
  readonly caseId: string | null;
}

export interface DsarManifest {
  readonly manifestVersion: typeof DSAR_MANIFEST_VERSION;
  readonly generatedAt: string;
  readonly subject: { readonly number: string };
  readonly recordingCount: number;
  readonly recordings: readonly DsarManifestRecording[];
}

export interface DsarResult {
  readonly number: string;
  readonly recordings: number;
  readonly audioFiles: number;
  readonly bytes: number;
}

/** ustar's name field: longer ids (up to 128 characters) are numbered instead. */
const MAX_NAMED_ID = 96;

/** A recording's audio inside the archive: `audio/<id>.wav` (ids carry no personal data). */
function audioPath(id: string, n: number): string {
  return id.length <= MAX_NAMED_ID ? `audio/${id}.wav` : `audio/recording-${n}.wav`;
}

function entry(r: RecordingRecord, n: number, audio: boolean): DsarManifestRecording {
  const ev = r.consentEvidence ?? null;
  return {
    id: r.id,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    durationMs: r.durationMs,
    direction: r.direction,
    service: r.service,
    number: r.number,
    audioFile: audio ? audioPath(r.id, n) : null,
    audioSha256: audio ? r.digest : null,
    audioFormat: audio ? { ...r.format } : null,
    counterpart: { role: 'agent' },
    source: r.source,
    policy: r.policy,
    expiresAt: r.expiresAt,
    legalHold: r.legalHold,
    restricted: r.restricted,
    consent: r.consent,
    consentGivenVia: ev?.via ?? null,
    consentAt: ev?.at ?? null,
    caseId: r.caseId,
  };
}

async function subjectRecordings(storage: Storage, number: string): Promise<RecordingRecord[]> {
  const out: RecordingRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.index.search({ number, limit: PAGE, cursor, order: 'asc' });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return out;
}

/** Audio exists for a finished recording whose container is there (not anonymised, not in progress). */
async function hasAudio(storage: Storage, r: RecordingRecord): Promise<boolean> {
  return r.state !== 'recording' && !storage.vault.isActive(r.id) && (await storage.vault.has(r.id));
}

/**
 * Writes the archive for `rawNumber` through `sink`. Restricted recordings are included: art. 18
 * limits what the controller does with them, not the subject's own access to them (decisions.md).
 */
export async function dsarExport(
  storage: Storage,
  actor: Actor,
  rawNumber: string,
  reason: string,
  sink: ChunkSink,
  now = new Date(),
): Promise<DsarResult> {
  const base = {
    actor: actor.name,
    role: actor.role,
    action: 'dsar_export',
    reason,
    from: actor.from,
  } as const;
  let number: string;
  try {
    number = parseSubjectNumber(rawNumber, { defaultCountry: storage.config.sip.default_country });
  } catch (err) {
    // The input itself is not recorded: it may be a (mistyped) phone number.
    await storage.index.appendAudit({
      ...base,
      detail: { outcome: 'refused', code: (err as { code?: string }).code ?? 'unknown' },
    });
    throw err;
  }
  const records = await subjectRecordings(storage, number);
  const withAudio = new Set<string>();
  for (const r of records) if (await hasAudio(storage, r)) withAudio.add(r.id);
  const manifest: DsarManifest = {
    manifestVersion: DSAR_MANIFEST_VERSION,
    generatedAt: now.toISOString(),
    subject: { number },
    recordingCount: records.length,
    recordings: records.map((r, i) => entry(r, i + 1, withAudio.has(r.id))),
  };
  // `number` is replaced by its blind index in the stored entry.
  await storage.index.appendAudit({
    ...base,
    detail: { outcome: 'exported', number, recordings: records.length, audioFiles: withAudio.size },
  });
  if (withAudio.size > 0) storage.counts.audioAccess(actor.role);
  let bytes = 0;
  const write = async (chunk: Buffer): Promise<void> => {
    bytes += chunk.length;
    await sink(chunk);
  };
  const json = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  await write(tarHeader(DSAR_MANIFEST, json.length, now));
  await write(Buffer.concat([json, tarPadding(json.length)]));
  for (const [i, r] of records.entries()) {
    if (!withAudio.has(r.id)) continue;
    const reader = await openCheckedReader(storage, r.id, 'export', actor);
    await write(tarHeader(audioPath(r.id, i + 1), reader.size, now));
    let n = 0;
    for await (const chunk of reader.createReadStream()) {
      n += (chunk as Buffer).length;
      await write(chunk as Buffer);
    }
    // A reader that yields other than it announced would shift every later header.
    if (n !== reader.size)
      throw new IntegrityError('CV_ERR_RETENTION_DSAR_SIZE', 'audio size differs from its container', {
        context: { recordingId: r.id },
      });
    await write(tarPadding(n));
  }
  await write(tarEnd());
  return { number, recordings: records.length, audioFiles: withAudio.size, bytes };
}
