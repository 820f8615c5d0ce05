import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  HEADER_BYTES,
  RecordType,
  decodeFinal,
  decodeHeader,
  decodeRecordHeader,
  encodeFinal,
  encodeHeader,
  hashHeader,
  nonceFor,
  inPlaceSealAvailable,
  openRecord,
  openRecordInPlace,
  sealRecord,
  sealRecordInPlace,
  sealRecordParts,
} from '../../../agent/src/vault/container.js';
import { expectCode } from './helpers.js';

const H = {
  id: '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab',
  createdMs: 1700000000123,
  formatTag: 1,
  channels: 2,
  sampleRate: 8000,
  bitsPerSample: 16,
  segmentMs: 2000,
};

describe('vault/container', () => {
  it('encodes the 48-byte header and decodes it back', () => {
    const b = encodeHeader(H);
    assert.equal(b.length, HEADER_BYTES);
    assert.equal(b.toString('ascii', 0, 8), 'CVAULT01');
    assert.deepEqual(decodeHeader(b), H);
  });

  it('rejects bad magic (CV_ERR_VAULT_NOT_A_CONTAINER) and a short header (CV_ERR_VAULT_TRUNCATED)', async () => {
    const b = encodeHeader(H);
    await expectCode(() => decodeHeader(Buffer.from('RIFF....WAVE')), 'CV_ERR_VAULT_NOT_A_CONTAINER');
    await expectCode(() => decodeHeader(Buffer.alloc(0)), 'CV_ERR_VAULT_NOT_A_CONTAINER');
    await expectCode(() => decodeHeader(b.subarray(0, 30)), 'CV_ERR_VAULT_TRUNCATED');
    const v = Buffer.from(b);
    v.writeUInt16BE(2, 8);
    await expectCode(() => decodeHeader(v), 'CV_ERR_VAULT_NOT_A_CONTAINER');
  });

  it('nonce is 4 zero bytes then the big-endian u64 seq', () => {
    assert.equal(nonceFor(0x0102).toString('hex'), '000000000000000000000102');
  });

  it('seals and opens a record; AAD binds the header hash, type and seq', async () => {
    const key = randomBytes(32);
    const hh = hashHeader(encodeHeader(H));
    const pt = randomBytes(1000);
    const rec = sealRecord(key, hh, RecordType.audio, 5, pt);
    const rh = decodeRecordHeader(rec.subarray(0, 10), { offset: 0 });
    assert.deepEqual(rh, { type: 2, flags: 0, seq: 5, length: 1000 });
    assert.ok(openRecord(key, hh, rh, rec.subarray(10), { recordingId: H.id, offset: 0 }).equals(pt));
    const ctx = { recordingId: H.id, offset: 0 };
    await expectCode(
      () => openRecord(key, hashHeader(Buffer.alloc(48)), rh, rec.subarray(10), ctx),
      'CV_ERR_VAULT_TAMPERED',
    );
    await expectCode(
      () => openRecord(key, hh, { ...rh, type: RecordType.meta }, rec.subarray(10), ctx),
      'CV_ERR_VAULT_TAMPERED',
    );
    await expectCode(
      () => openRecord(key, hh, { ...rh, seq: 6 }, rec.subarray(10), ctx),
      'CV_ERR_VAULT_TAMPERED',
    );
    await expectCode(
      () => openRecord(randomBytes(32), hh, rh, rec.subarray(10), ctx),
      'CV_ERR_VAULT_TAMPERED',
    );
  });

  it('rejects corrupt record headers with CV_ERR_VAULT_TAMPERED', async () => {
    for (const hex of [
      '00000000000000000010',
      '04000000000000000010',
      '02010000000000000010',
      '020000000000ffffffff',
    ]) {
      await expectCode(
        () => decodeRecordHeader(Buffer.from(hex, 'hex'), { offset: 48 }),
        'CV_ERR_VAULT_TAMPERED',
      );
    }
  });

  it('final record round-trips and malformed content is CV_ERR_VAULT_TAMPERED', async () => {
    const f = {
      dataBytes: 10,
      prefix: Buffer.from('RIFF'),
      suffix: Buffer.alloc(1),
      recovered: true,
      digest: 'ab',
      signature: 'cd',
      finalizedAt: 'now',
    };
    assert.deepEqual(decodeFinal(encodeFinal(f), H.id), f);
    await expectCode(() => decodeFinal(Buffer.from('{"v":2}'), H.id), 'CV_ERR_VAULT_TAMPERED');
    await expectCode(() => decodeFinal(Buffer.from('not json'), H.id), 'CV_ERR_VAULT_TAMPERED');
  });

  it('sealing in place (native) gives the bytes node:crypto gives, over pieces of any length', async function () {
    if (!inPlaceSealAvailable()) this.skip(); // `make` builds it wherever node ships OpenSSL headers
    const key = randomBytes(32);
    const hh = randomBytes(32);
    for (const lengths of [[0], [1], [16384, 16384, 16384, 15232], [15, 0, 17, 4096, 1], [65536]]) {
      const plain = lengths.map((n) => randomBytes(n));
      const expected = Buffer.concat(sealRecordParts(key, hh, RecordType.audio, 41, plain));
      const pieces = plain.map((p) => Buffer.from(p));
      const rec = sealRecordInPlace(key, hh, RecordType.audio, 41, pieces)!;
      assert.equal(Buffer.concat(rec).compare(expected), 0, `lengths ${lengths.join(',')}`);
      // The pieces themselves now hold the ciphertext: no copy was made.
      pieces.forEach((p, i) => assert.ok(p.length < 8 || !p.equals(plain[i]!)));
      assert.ok(rec.slice(1, -1).every((b, i) => b === pieces[i]));
    }
    await expectCode(
      () => sealRecordInPlace(Buffer.alloc(16), hh, RecordType.audio, 1, [Buffer.alloc(4)]),
      'CV_ERR_VAULT_NATIVE',
    );
  });

  it('opening in place gives the plaintext openRecord gives, in the body itself, and names a flipped bit', async () => {
    const key = randomBytes(32);
    const hh = randomBytes(32);
    const plain = randomBytes(64000);
    const rec = sealRecord(key, hh, RecordType.audio, 7, plain);
    const rh = decodeRecordHeader(rec, { offset: 0 });
    const body = Buffer.from(rec.subarray(10));
    const ctx = { recordingId: H.id, offset: 0 };
    assert.equal(openRecord(key, hh, rh, body, ctx).compare(plain), 0);
    const out = openRecordInPlace(key, hh, rh, body, ctx);
    assert.equal(out.compare(plain), 0);
    assert.equal(out.buffer, body.buffer, 'no copy');
    for (const flip of [0, 63999, 64000 + 15]) {
      const bad = Buffer.from(rec.subarray(10));
      bad[flip]! ^= 1;
      await expectCode(() => openRecordInPlace(key, hh, rh, bad, ctx), 'CV_ERR_VAULT_TAMPERED');
    }
    await expectCode(
      () => openRecordInPlace(key, hh, { ...rh, seq: 8 }, Buffer.from(rec.subarray(10)), ctx),
      'CV_ERR_VAULT_TAMPERED',
    );
  });
});
