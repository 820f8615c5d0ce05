/**
 * One call session: its metadata and the state changes the ingest path reports. The ingest path
 * (SRS or tap) owns it and calls the verbs; media, recorder and index listen. It holds no
 * sockets or files, but it has a lifecycle (ended is final), so it is a class.
 */
import { isDeepStrictEqual } from 'node:util';
import { TypedEmitter, type Logger } from '../common/index.js';
import { SessionEndedError, SessionInvalidError } from './errors.js';
import type { DtmfEvent, EndReason, SessionInfo, SessionPatch } from './types.js';

export type SessionEvents = {
  /** Metadata changed (re-INVITE metadata, answer time, consent); `changed` names the fields. */
  updated: [info: SessionInfo, changed: readonly (keyof SessionPatch)[]];
  /** The ingest path paused recording (SIPREC a=inactive): the recorder writes silence. */
  paused: [at: Date];
  resumed: [at: Date];
  /** The call is on hold: RTP may stop, and that must not end the call on an RTP timeout. */
  hold: [at: Date];
  unhold: [at: Date];
  dtmf: [event: DtmfEvent];
  /** Emitted exactly once. */
  ended: [reason: EndReason, at: Date];
};

/**
 * The four on/off verbs: which state each sets, to what, and the event that announces the edge.
 * A verb that finds the state already set returns false and emits nothing.
 */
const TOGGLES = {
  pause: { state: 'paused', to: true, event: 'paused' },
  resume: { state: 'paused', to: false, event: 'resumed' },
  hold: { state: 'onHold', to: true, event: 'hold' },
  unhold: { state: 'onHold', to: false, event: 'unhold' },
} as const;

export interface SessionOptions {
  /** Per-call child logger; listener failures are logged here. */
  readonly log?: Logger;
}

export class Session extends TypedEmitter<SessionEvents> {
  #info: SessionInfo;
  readonly #toggled = { paused: false, onHold: false };
  #endReason: EndReason | null = null;
  readonly #log: Logger | undefined;

  constructor(info: SessionInfo, options: SessionOptions = {}) {
    super();
    checkInfo(info);
    this.#info = freezeInfo(info);
    this.#log = options.log;
  }

  get id(): string {
    return this.#info.id;
  }

  /** A frozen snapshot; a later update() replaces it rather than mutating it. */
  get info(): SessionInfo {
    return this.#info;
  }

  get paused(): boolean {
    return this.#toggled.paused;
  }

  get onHold(): boolean {
    return this.#toggled.onHold;
  }

  get ended(): boolean {
    return this.#endReason !== null;
  }

  get endReason(): EndReason | null {
    return this.#endReason;
  }

  /** Applies the fields that differ; emits `updated` only when something changed. Returns the changed keys. */
  update(patch: SessionPatch): readonly (keyof SessionPatch)[] {
    this.#assertOpen('update');
    const changed: (keyof SessionPatch)[] = [];
    for (const key of Object.keys(patch) as (keyof SessionPatch)[]) {
      const value = patch[key];
      if (value === undefined) continue;
      if (!isDeepStrictEqual(this.#info[key], value)) changed.push(key);
    }
    if (changed.length === 0) return changed;
    const next: SessionInfo = { ...this.#info };
    for (const key of changed) Object.assign(next, { [key]: patch[key] });
    checkInfo(next);
    this.#info = freezeInfo(next);
    this.safeEmit(this.#log, 'updated', this.#info, changed);
    return changed;
  }

  /** Returns false (and emits nothing) when already paused. */
  pause(at: Date = new Date()): boolean {
    return this.#toggle('pause', at);
  }

  resume(at: Date = new Date()): boolean {
    return this.#toggle('resume', at);
  }

  hold(at: Date = new Date()): boolean {
    return this.#toggle('hold', at);
  }

  unhold(at: Date = new Date()): boolean {
    return this.#toggle('unhold', at);
  }

  dtmf(event: DtmfEvent): void {
    this.#assertOpen('dtmf');
    this.safeEmit(this.#log, 'dtmf', event);
  }

  /**
   * Idempotent: the first call wins and emits `ended`; later calls (a BYE racing an RTP timeout)
   * return false and change nothing.
   */
  end(reason: EndReason, at: Date = new Date()): boolean {
    if (this.#endReason !== null) return false;
    this.#endReason = reason;
    this.safeEmit(this.#log, 'ended', reason, at);
    return true;
  }

  #toggle(verb: keyof typeof TOGGLES, at: Date): boolean {
    this.#assertOpen(verb);
    const { state, to, event } = TOGGLES[verb];
    if (this.#toggled[state] === to) return false;
    this.#toggled[state] = to;
    this.safeEmit(this.#log, event, at);
    return true;
  }

  #assertOpen(verb: string): void {
    if (this.#endReason !== null) {
      throw new SessionEndedError(`session ${this.#info.id} has ended; cannot ${verb}`, {
        context: { sessionId: this.#info.id, verb },
      });
    }
  }
}

function freezeInfo(info: SessionInfo): SessionInfo {
  return Object.freeze({
    ...info,
    agent: Object.freeze({ ...info.agent }),
    participants: Object.freeze(info.participants.map((p) => Object.freeze({ ...p }))),
    streams: Object.freeze(info.streams.map((s) => Object.freeze({ ...s }))),
    flags: Object.freeze([...info.flags]),
  });
}

/** The invariants downstream relies on: ids resolve, dates are real dates. */
function checkInfo(info: SessionInfo): void {
  const fail = (what: string, field: string): never => {
    throw new SessionInvalidError(`session ${info.id}: ${what}`, { context: { sessionId: info.id, field } });
  };
  if (info.id === '') fail('empty id', 'id');
  if (Number.isNaN(info.startedAt.getTime())) fail('startedAt is not a valid date', 'startedAt');
  if (info.answeredAt !== null && Number.isNaN(info.answeredAt.getTime()))
    fail('answeredAt is not a valid date', 'answeredAt');
  const ids = new Set<string>();
  for (const p of info.participants) {
    if (ids.has(p.id)) fail(`duplicate participant id ${p.id}`, 'participants');
    ids.add(p.id);
  }
  for (const s of info.streams) {
    if (s.participantId !== null && !ids.has(s.participantId))
      fail(`stream ${s.label} names unknown participant`, 'streams');
  }
  if (info.customerParticipantId !== null && !ids.has(info.customerParticipantId))
    fail('unknown customer participant', 'customerParticipantId');
  if (info.agentParticipantId !== null && !ids.has(info.agentParticipantId))
    fail('unknown agent participant', 'agentParticipantId');
}
