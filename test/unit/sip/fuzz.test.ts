// Seeded in-process fuzzing of the parser, validator, serializer and stream framer: whatever the
// bytes, the only exception is SipParseError (or SipClosedError from a failed framer).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import {
  SipClosedError,
  SipParseError,
  SipStreamFramer,
  parseMessage,
  parseMultipart,
  serializeMessage,
  validateRequest,
} from '../../../agent/src/sip/index.js';
import { mulberry32 as rng } from '../../helpers/prng.js';

const FIXTURES = new URL('../../fixtures/sip/', import.meta.url);


function corpus(): Buffer[] {
  const out: Buffer[] = [readFileSync(new URL('siprec/cisco-cube-invite.sip', FIXTURES))];
  for (const dir of ['rfc4475', 'rfc5118']) {
    for (const f of readdirSync(new URL(`${dir}/`, FIXTURES)))
      out.push(readFileSync(new URL(`${dir}/${f}`, FIXTURES)));
  }
  return out;
}

function mutate(base: Buffer, rand: () => number): Buffer {
  const pick = (n: number): number => Math.floor(rand() * n);
  const b = Buffer.from(base);
  switch (pick(7)) {
    case 0: {
      for (let k = 1 + pick(8); k > 0; k--) {
        const i = pick(b.length);
        b[i] = (b[i] ?? 0) ^ (1 << pick(8));
      }
      return b;
    }
    case 1:
      return b.subarray(0, pick(b.length + 1));
    case 2: {
      const at = b.indexOf('\r\n') + 2;
      const huge = Buffer.from(`X-Huge: ${'A'.repeat(1000 + pick(80_000))}\r\n`);
      return Buffer.concat([b.subarray(0, at), huge, b.subarray(at)]);
    }
    case 3: {
      const s = b.toString('latin1');
      const n = ['-1', '0', '99999999999', String(pick(5000)), '1e3', ' 12 ', '0x10'][pick(7)] ?? '0';
      return Buffer.from(s.replace(/(Content-Length|l)[ \t]*:[^\r\n]*/i, `Content-Length: ${n}`), 'latin1');
    }
    case 4: {
      const r = Buffer.alloc(pick(2000));
      for (let i = 0; i < r.length; i++) r[i] = pick(256);
      return r;
    }
    case 5: {
      const lines = b.toString('latin1').split('\r\n');
      const i = 1 + pick(Math.max(1, lines.length - 1));
      lines.splice(i, 0, lines[pick(lines.length)] ?? '');
      return Buffer.from(lines.join(pick(2) === 0 ? '\r\n' : '\n'), 'latin1');
    }
    default: {
      const i = pick(b.length);
      const chars = [
        '"',
        '<',
        '>',
        ';',
        ',',
        ':',
        '\\',
        '[',
        ']',
        ' ',
        '\t',
        '\r',
        '\n',
        '\0',
        '%',
        '@',
        '\xff',
      ];
      return Buffer.concat([
        b.subarray(0, i),
        Buffer.from(chars[pick(chars.length)] ?? '', 'latin1'),
        b.subarray(i),
      ]);
    }
  }
}

/** true when the input parsed; a re-serialised message that no longer parses is a failure. */
function exercise(input: Buffer): boolean {
  let msg;
  try {
    msg = parseMessage(input);
  } catch (err) {
    if (err instanceof SipParseError) return false;
    throw err;
  }
  if (msg.kind === 'request')
    validateRequest(msg, { acceptedContentTypes: ['application/sdp', 'multipart/mixed'] });
  let again;
  try {
    again = parseMessage(serializeMessage(msg));
  } catch (err) {
    throw new Error(`re-serialised message does not parse: ${String(err)}`, { cause: err });
  }
  assert.equal(again.callId, msg.callId);
  if (msg.contentType !== undefined && /multipart/i.test(msg.contentType)) {
    try {
      parseMultipart(msg.contentType, msg.body);
    } catch (err) {
      if (!(err instanceof SipParseError)) throw err;
    }
  }
  return true;
}

describe('sip fuzz', function () {
  this.timeout(45_000);

  it('20 000 mutated datagrams: only SipParseError escapes, and what parses re-serialises', () => {
    const seed = 0x5eed4475;
    const rand = rng(seed);
    const base = corpus();
    let parsed = 0;
    let rejected = 0;
    for (let n = 0; n < 20_000; n++) {
      const input = mutate(base[Math.floor(rand() * base.length)] ?? Buffer.alloc(0), rand);
      try {
        if (exercise(input)) parsed++;
        else rejected++;
      } catch (err) {
        assert.fail(`seed ${seed} input ${n}: ${String(err)}\n${input.toString('latin1').slice(0, 400)}`);
      }
    }
    // Both outcomes must occur, or the mutations are not exercising anything.
    assert.ok(parsed > 1000, `parsed ${parsed}`);
    assert.ok(rejected > 1000, `rejected ${rejected}`);
  });

  it('2 000 mutated streams in random chunks: the framer yields or fails with coded errors', () => {
    const rand = rng(0xf4a3e);
    const base = corpus();
    let frames = 0;
    for (let n = 0; n < 2_000; n++) {
      const stream = Buffer.concat(
        [0, 1, 2].map(() => mutate(base[Math.floor(rand() * base.length)] ?? Buffer.alloc(0), rand)),
      );
      const framer = new SipStreamFramer();
      let off = 0;
      while (off < stream.length) {
        const len = 1 + Math.floor(rand() * 1500);
        try {
          for (const f of framer.push(stream.subarray(off, off + len))) {
            frames++;
            if (f.type === 'message') exercise(f.bytes);
          }
        } catch (err) {
          if (err instanceof SipParseError || err instanceof SipClosedError) break;
          throw err;
        }
        off += len;
      }
    }
    assert.ok(frames > 100, `frames ${frames}`);
  });
});
