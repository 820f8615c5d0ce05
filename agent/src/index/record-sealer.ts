/**
 * How RecordingIndex turns records into stored form and back: numbers normalised the same way
 * at ingest and in search (or the blind index would not match), personal fields sealed with the
 * field key or, when IndexOptions.recordKeys is set, with each recording's own key (so that
 * destroying that key shreds them).
 */
import type { NormaliseOptions } from '../common/index.js';
import { cachedBlinder } from './field-crypto.js';
import { canonicalRecord, decodeRecord, encodeRecord, prepareRecord } from './record-codec.js';
import type { FieldKeys, PreparedRecord, StoredRecord } from './record-codec.js';
import { agentGrouper } from './stats-counters.js';
import type { IndexOptions, RecordingPatch, RecordingRecord } from './types.js';

export class RecordSealer {
  readonly numbers: NormaliseOptions;
  readonly keys: FieldKeys;
  readonly #opts: IndexOptions;

  constructor(opts: IndexOptions) {
    this.#opts = opts;
    this.numbers = { defaultCountry: opts.defaultCountry ?? null };
    this.keys = {
      blind: cachedBlinder(opts.blindIndexKey),
      fieldKey: opts.fieldKey,
      group: agentGrouper(opts.statsAgentGroups ?? []),
    };
  }

  /** True when records are sealed under their own keys (looked up inside the write queue). */
  get perRecord(): boolean {
    return this.#opts.recordKeys !== undefined;
  }

  /** The recordings' own keys (IndexOptions.recordKeys), or none when not configured. */
  async recordKeys(ids: readonly string[]): Promise<readonly (Buffer | undefined)[]> {
    const f = this.#opts.recordKeys;
    return f === undefined ? ids.map(() => undefined) : f(ids);
  }

  canonical(rec: RecordingRecord): RecordingRecord {
    return canonicalRecord(rec, this.numbers);
  }

  /** Validated, sealed and serialised under the field key: no look-up, so before the queue. */
  prepare(rec: RecordingRecord): PreparedRecord {
    return prepareRecord(rec, this.keys, undefined, this.numbers);
  }

  /** Canonical records sealed under their own keys (one look-up for all). */
  async encodeAll(recs: readonly RecordingRecord[]): Promise<StoredRecord[]> {
    const rks = await this.recordKeys(recs.map((r) => r.id));
    return recs.map((r, i) => encodeRecord(r, this.keys, rks[i]));
  }

  /** Any record, made canonical and sealed under its key when it has one (a rebuild). */
  async encode(rec: RecordingRecord): Promise<StoredRecord> {
    const [rk] = await this.recordKeys([rec.id]);
    return encodeRecord(this.canonical(rec), this.keys, rk);
  }

  /** The stored record with the patch merged in (id unchanged): the new record and its encoding. */
  async merge(
    prev: StoredRecord,
    patch: RecordingPatch,
  ): Promise<{ next: RecordingRecord; stored: StoredRecord }> {
    const [rk] = await this.recordKeys([prev.id]);
    const next = this.canonical({ ...decodeRecord(prev, this.#opts.fieldKey, rk), ...patch, id: prev.id });
    return { next, stored: encodeRecord(next, this.keys, rk) };
  }

  /** Stored records opened; a shredded recording (its key destroyed) decodes without personal fields. */
  async decodeAll(rows: readonly StoredRecord[]): Promise<RecordingRecord[]> {
    const sealed = rows.filter((s) => s.k === 'r').map((s) => s.id);
    const rks = new Map<string, Buffer | undefined>();
    if (sealed.length > 0) (await this.recordKeys(sealed)).forEach((k, i) => rks.set(sealed[i] as string, k));
    return rows.map((s) => decodeRecord(s, this.#opts.fieldKey, rks.get(s.id)));
  }
}
