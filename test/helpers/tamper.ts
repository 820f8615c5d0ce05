/**
 * Fault injection on finished containers, done the way an intruder or a broken tool would: on
 * the raw file, knowing only the plaintext record framing (48-byte header, then records of
 * `type u8 | flags u8 | seq u32 | len u32` + ciphertext + 16-byte tag).
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, copyFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';

export type Tamper = 'truncate' | 'cut-middle' | 'append' | 'swap';
export const TAMPERS: readonly Tamper[] = ['truncate', 'cut-middle', 'append', 'swap'];

const HEADER = 48;
const RECORD_HEADER = 10;
const TAG = 16;

/** Record boundaries of a container: [offset, bytes, type]. */
export function records(file: Buffer): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let at = HEADER; at + RECORD_HEADER <= file.length;) {
    const len = file.readUInt32BE(at + 6);
    const bytes = RECORD_HEADER + len + TAG;
    out.push([at, bytes, file[at] as number]);
    at += bytes;
  }
  return out;
}

/** Applies one fault to `path`; `other` is another finished recording's container (swap). */
export function tamper(kind: Tamper, path: string, other: string): void {
  switch (kind) {
    case 'truncate':
      truncateSync(path, Math.floor((statSync(path).size * 2) / 3));
      return;
    case 'append':
      appendFileSync(path, randomBytes(1000));
      return;
    case 'swap':
      copyFileSync(other, path);
      return;
    case 'cut-middle': {
      const file = readFileSync(path);
      const audio = records(file).filter((r) => r[2] === 2);
      if (audio.length < 3) throw new Error(`cut-middle needs 3 audio records, found ${audio.length}`);
      const [at, bytes] = audio[Math.floor(audio.length / 2)] as [number, number, number];
      writeFileSync(path, Buffer.concat([file.subarray(0, at), file.subarray(at + bytes)]));
      return;
    }
  }
}
