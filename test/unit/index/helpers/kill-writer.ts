/**
 * Child process for the kill -9 test: writes batches of 200 new recordings plus 50 rewrites of
 * earlier ones (moving their agent and start time, so stale entries must go), printing a line
 * after each batch, until the parent kills it. argv: dir blindKeyHex fieldKeyHex
 */
import { silentLogger } from '../../../../agent/src/common/index.js';
import { openIndex } from '../../../../agent/src/index/index.js';
import type { RecordingRecord } from '../../../../agent/src/index/index.js';
import { makePools, makeRecord, pick, prng } from './fixtures.js';

const [dir, blindHex, fieldHex] = process.argv.slice(2);
const index = await openIndex({
  dir: dir as string,
  blindIndexKey: Buffer.from(blindHex as string, 'hex'),
  fieldKey: Buffer.from(fieldHex as string, 'hex'),
  sign: () => Buffer.alloc(64),
  verifySignature: () => false,
  log: silentLogger(),
});
const rnd = prng(99);
const pools = makePools(rnd, { numbers: 500, agents: 20, cases: 50 });
const written: RecordingRecord[] = [];
for (let batch = 0; ; batch++) {
  const fresh = Array.from({ length: 200 }, (_, i) => makeRecord(rnd, pools, batch * 200 + i));
  const rewrites =
    written.length === 0
      ? []
      : Array.from({ length: 50 }, () => makeRecord(rnd, pools, 0, { id: pick(rnd, written).id }));
  await index.putRecordings([...fresh, ...rewrites]);
  written.push(...fresh);
  process.stdout.write(`batch ${batch}\n`);
}
