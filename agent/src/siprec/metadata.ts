/**
 * RFC 7865 recording metadata (application/rs-metadata+xml) → a plain structure. Accepts the
 * RFC schema (participant_id/stream_id, participantstreamassoc) and what SBCs built on the drafts
 * (Oracle/Acme and Avaya: `id`/`session` attributes, <send> inside <participant>, <aor> without
 * <nameID>), any namespace prefix, legacy namespace 'urn:ietf:params:xml:ns:recording', and
 * vendor extension elements, which are kept as flat name → text maps for the mapping layer.
 */
import { MetadataError } from './errors.js';
import { namespaceOf, parseXmlTree, type XmlElement } from './xml-tree.js';

export const RECORDING_NAMESPACE = 'urn:ietf:params:xml:ns:recording:1';
export const LEGACY_RECORDING_NAMESPACE = 'urn:ietf:params:xml:ns:recording';

export interface MetadataParticipant {
  readonly id: string;
  readonly aor: string | null;
  readonly name: string | null;
  /** Stream ids this participant sends (its voice is on them). */
  readonly sends: readonly string[];
  readonly receives: readonly string[];
  /** Non-standard leaf elements under the participant: local name (lower case) → text. */
  readonly extensions: Readonly<Record<string, string>>;
}

export interface MetadataStream {
  readonly id: string;
  readonly label: string | null;
  readonly sessionId: string | null;
  /** Draft-era <mode>: 'separate' or 'mixed'. */
  readonly mode: string | null;
}

export interface MetadataSession {
  readonly id: string;
  /** RFC 7989 Session-ID of the recorded call, as sent. */
  readonly sipSessionId: string | null;
  readonly groupRef: string | null;
  readonly startTime: Date | null;
  readonly stopTime: Date | null;
}

export interface RecordingMetadata {
  readonly namespace: string | null;
  readonly dataMode: string | null;
  readonly group: { readonly id: string; readonly associateTime: Date | null } | null;
  readonly sessions: readonly MetadataSession[];
  readonly participants: readonly MetadataParticipant[];
  readonly streams: readonly MetadataStream[];
  /** Earliest start (or associate) time of any session; null when none given. */
  readonly startTime: Date | null;
  readonly stopTime: Date | null;
  /** Non-standard leaf elements outside participants (group/session extensiondata, callData…). */
  readonly extensions: Readonly<Record<string, string>>;
}

/** Elements of the RFC and the drafts; anything else under a participant/session/group is an extension. */
const STANDARD: ReadonlySet<string> = new Set([
  'nameid',
  'name',
  'aor',
  'send',
  'recv',
  'associate-time',
  'disassociate-time',
  'start-time',
  'stop-time',
  'sipsessionid',
  'group-ref',
  'label',
  'mode',
  'datamode',
  'content-type',
  'extensiondata',
]);

export function parseRecordingMetadata(xml: string | Buffer): RecordingMetadata {
  const root = parseXmlTree(xml);
  if (root.name !== 'recording') {
    throw new MetadataError(
      'CV_ERR_METADATA_NOT_RECORDING',
      `metadata root is <${root.name}>, not <recording>`,
      { context: { root: root.name } },
    );
  }
  const participants = new Map<
    string,
    {
      aor: string | null;
      name: string | null;
      sends: Set<string>;
      receives: Set<string>;
      extensions: Record<string, string>;
    }
  >();
  const streams: MetadataStream[] = [];
  const sessions: MetadataSession[] = [];
  const extensions: Record<string, string> = {};
  let group: RecordingMetadata['group'] = null;
  let dataMode: string | null = null;
  const associations: XmlElement[] = [];

  for (const el of root.children) {
    switch (el.name) {
      case 'datamode':
        dataMode = el.text || null;
        break;
      case 'group':
        group ??= {
          id: el.attrs['group_id'] ?? el.attrs['id'] ?? '',
          associateTime: parseTime(childText(el, 'associate-time')),
        };
        collectExtensions(el, extensions);
        break;
      case 'session':
        sessions.push({
          id: el.attrs['session_id'] ?? el.attrs['id'] ?? '',
          sipSessionId: childText(el, 'sipsessionid'),
          groupRef: childText(el, 'group-ref'),
          startTime: parseTime(childText(el, 'start-time') ?? childText(el, 'associate-time')),
          stopTime: parseTime(childText(el, 'stop-time')),
        });
        collectExtensions(el, extensions);
        break;
      case 'participant': {
        const id = el.attrs['participant_id'] ?? el.attrs['id'];
        if (id === undefined || id === '') break;
        const nameId = el.children.find((c) => c.name === 'nameid');
        const entry = participants.get(id) ?? {
          aor: null,
          name: null,
          sends: new Set(),
          receives: new Set(),
          extensions: {},
        };
        entry.aor ??=
          nonEmpty(nameId?.attrs['aor']) ??
          childText(el, 'aor') ??
          (nameId === undefined ? null : childText(nameId, 'aor'));
        entry.name ??=
          (nameId === undefined ? null : childText(nameId, 'name')) ??
          childText(el, 'name') ??
          nonEmpty(el.attrs['name']);
        for (const c of el.children) {
          if (c.name === 'send' && c.text !== '') entry.sends.add(c.text);
          if (c.name === 'recv' && c.text !== '') entry.receives.add(c.text);
        }
        collectExtensions(el, entry.extensions);
        participants.set(id, entry);
        break;
      }
      case 'stream': {
        const id = el.attrs['stream_id'] ?? el.attrs['id'];
        if (id === undefined || id === '') break;
        streams.push({
          id,
          label: childText(el, 'label'),
          sessionId: el.attrs['session_id'] ?? el.attrs['session'] ?? null,
          mode: childText(el, 'mode'),
        });
        break;
      }
      case 'participantstreamassoc':
        associations.push(el);
        break;
      case 'participantsessionassoc':
      case 'sessionrecordingassoc':
        break;
      default:
        collectExtensions({ ...el, children: [el] }, extensions);
        break;
    }
  }
  for (const el of associations) {
    const entry = participants.get(el.attrs['participant_id'] ?? el.attrs['id'] ?? '');
    if (entry === undefined) continue;
    for (const c of el.children) {
      if (c.name === 'send' && c.text !== '') entry.sends.add(c.text);
      if (c.name === 'recv' && c.text !== '') entry.receives.add(c.text);
    }
  }
  const starts = sessions.map((s) => s.startTime).filter((d): d is Date => d !== null);
  const stops = sessions.map((s) => s.stopTime).filter((d): d is Date => d !== null);
  return {
    namespace: namespaceOf(root),
    dataMode,
    group,
    sessions,
    participants: [...participants].map(([id, p]) => ({
      id,
      aor: p.aor,
      name: p.name,
      sends: [...p.sends],
      receives: [...p.receives],
      extensions: p.extensions,
    })),
    streams,
    startTime: starts.length === 0 ? null : new Date(Math.min(...starts.map((d) => d.getTime()))),
    stopTime: stops.length === 0 ? null : new Date(Math.max(...stops.map((d) => d.getTime()))),
    extensions,
  };
}

function childText(el: XmlElement, name: string): string | null {
  return nonEmpty(el.children.find((c) => c.name === name)?.text);
}

function nonEmpty(text: string | undefined | null): string | null {
  const t = text?.trim();
  return t === undefined || t === '' ? null : t;
}

/**
 * Flattens non-standard leaf elements below `el` into `into` (first value wins). An element with
 * a `label` attribute (Acme's <apkt:header label="Call-ID">) is keyed 'name:label'.
 */
function collectExtensions(el: XmlElement, into: Record<string, string>): void {
  for (const c of el.children) {
    if (STANDARD.has(c.name) && c.name !== 'extensiondata') continue;
    const labelled = c.attrs['label'];
    if (c.children.length === 0 || labelled !== undefined) {
      const key = labelled === undefined ? c.name : `${c.name}:${labelled.toLowerCase()}`;
      const value = c.children.length === 0 ? c.text : c.children.map((x) => x.text).join(', ');
      if (value !== '' && !(key in into)) into[key] = value;
    } else {
      collectExtensions(c, into);
    }
  }
}

/** RFC 3339; draft-era SBCs omit the offset, which JavaScript then reads as the appliance's local time. */
function parseTime(text: string | null): Date | null {
  if (text === null) return null;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d;
}
