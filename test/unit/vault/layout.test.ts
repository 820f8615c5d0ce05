import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerPath, listContainers, totalBytes } from '../../../agent/src/vault/layout.js';
import { removeDir, tempDir } from './helpers.js';

describe('vault/layout', () => {
  let root: string;
  beforeEach(() => {
    root = tempDir();
  });
  afterEach(() => removeDir(root));

  it('puts containers under recordings/YYYY/MM/DD by UTC start date', () => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    assert.equal(
      containerPath('/s', id, Date.parse('2024-02-29T23:30:00-05:00')),
      `/s/recordings/2024/03/01/${id}.wav.enc`,
    );
  });

  it('lists only <uuid>.wav.enc files and sums sizes', async () => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    mkdirSync(join(root, 'recordings', '2024', '01', '02'), { recursive: true });
    writeFileSync(join(root, 'recordings', '2024', '01', '02', `${id}.wav.enc`), 'abc');
    writeFileSync(join(root, 'recordings', '2024', '01', '02', 'notes.txt'), 'abcd');
    writeFileSync(join(root, 'recordings', '2024', '01', '02', 'x.wav.enc'), 'ab');
    assert.deepEqual([...(await listContainers(root)).keys()], [id]);
    assert.deepEqual(await totalBytes(join(root, 'recordings')), { files: 3, bytes: 9 });
    assert.deepEqual(await listContainers(join(root, 'missing')), new Map());
  });
});
