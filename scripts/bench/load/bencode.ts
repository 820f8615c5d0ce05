/**
 * Bencode for rtpengine's ng control protocol (strings, integers, lists, dictionaries with
 * sorted keys). Strings decode as UTF-8: the ng replies the harness reads carry SDP and
 * status words only.
 */
import { LoadBenchError, BENCH_BAD_MESSAGE } from './errors.js';

export type BValue = string | number | readonly BValue[] | { readonly [key: string]: BValue };

export function bencode(v: BValue): Buffer {
  const parts: Buffer[] = [];
  const put = (x: BValue): void => {
    if (typeof x === 'string') {
      const b = Buffer.from(x, 'utf8');
      parts.push(Buffer.from(`${b.length}:`), b);
    } else if (typeof x === 'number') {
      if (!Number.isInteger(x))
        throw new LoadBenchError(BENCH_BAD_MESSAGE, 'bencode integers only', { context: { value: x } });
      parts.push(Buffer.from(`i${x}e`));
    } else if (Array.isArray(x)) {
      parts.push(Buffer.from('l'));
      for (const e of x as readonly BValue[]) put(e);
      parts.push(Buffer.from('e'));
    } else {
      parts.push(Buffer.from('d'));
      const d = x as { readonly [key: string]: BValue };
      for (const k of Object.keys(d).sort()) {
        put(k);
        put(d[k]!);
      }
      parts.push(Buffer.from('e'));
    }
  };
  put(v);
  return Buffer.concat(parts);
}

/** Decodes one value spanning the whole buffer; anything else throws CV_ERR_BENCH_BAD_MESSAGE. */
export function bdecode(buf: Buffer): BValue {
  let i = 0;
  const bad = (what: string): never => {
    throw new LoadBenchError(BENCH_BAD_MESSAGE, `bencode: ${what}`, { context: { offset: i } });
  };
  const depthLimit = 64;
  const get = (depth: number): BValue => {
    if (depth > depthLimit) bad('nested too deep');
    const c = buf[i];
    if (c === undefined) return bad('truncated');
    if (c === 0x69) {
      const end = buf.indexOf(0x65, i);
      if (end < 0) bad('unterminated integer');
      const text = buf.toString('latin1', i + 1, end);
      if (!/^-?\d+$/.test(text)) bad('bad integer');
      i = end + 1;
      return Number(text);
    }
    if (c === 0x6c || c === 0x64) {
      i++;
      const list: BValue[] = [];
      while (buf[i] !== 0x65) {
        if (i >= buf.length) bad('unterminated container');
        list.push(get(depth + 1));
      }
      i++;
      if (c === 0x6c) return list;
      if (list.length % 2 !== 0) bad('odd dictionary');
      const d: Record<string, BValue> = {};
      for (let k = 0; k < list.length; k += 2) {
        const key = list[k];
        if (typeof key !== 'string') bad('dictionary key not a string');
        d[key as string] = list[k + 1]!;
      }
      return d;
    }
    const colon = buf.indexOf(0x3a, i);
    if (colon < 0) return bad('bad string length');
    const lenText = buf.toString('latin1', i, colon);
    if (!/^\d+$/.test(lenText)) bad('bad string length');
    const len = Number(lenText);
    if (colon + 1 + len > buf.length) bad('string past end');
    i = colon + 1 + len;
    return buf.toString('utf8', colon + 1, i);
  };
  const v = get(0);
  if (i !== buf.length) bad('trailing bytes');
  return v;
}
