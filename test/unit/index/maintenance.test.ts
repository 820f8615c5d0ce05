/** maintenance.ts: schema version and the migration hook. */
import assert from 'node:assert/strict';
import { ClassicLevel } from 'classic-level';
import { openIndex, SCHEMA_VERSION } from '../../../agent/src/index/index.js';
import { useTestIndex } from './helpers/fixtures.js';

async function storedVersion(dir: string): Promise<string | undefined> {
  const raw = new ClassicLevel<string, string>(dir);
  await raw.open();
  try {
    return await raw.get('m!schema');
  } finally {
    await raw.close();
  }
}

describe('index/maintenance', function () {
  this.timeout(10_000);
  const t = useTestIndex();

  it('writes the schema version on a fresh index', async () => {
    await (await openIndex(t.opts)).close();
    assert.equal(await storedVersion(t.opts.dir), String(SCHEMA_VERSION));
  });

  it('runs a migration hook once and records the new version', async () => {
    await (await openIndex(t.opts)).close();
    let runs = 0;
    const migrations = [
      {
        from: SCHEMA_VERSION,
        run: async (db: ClassicLevel<string, string>) => {
          runs++;
          await db.put('m!migrated', 'yes');
        },
      },
    ];
    await (await openIndex({ ...t.opts, migrations })).close();
    await (await openIndex({ ...t.opts, migrations })).close();
    assert.equal(runs, 1);
    assert.equal(await storedVersion(t.opts.dir), String(SCHEMA_VERSION + 1));
  });

  it('refuses a newer schema and a failing migration with CV_ERR_INDEX_SCHEMA', async () => {
    await (await openIndex(t.opts)).close();
    const failing = [{ from: SCHEMA_VERSION, run: () => Promise.reject(new Error('boom')) }];
    await assert.rejects(openIndex({ ...t.opts, migrations: failing }), { code: 'CV_ERR_INDEX_SCHEMA' });
    assert.equal(await storedVersion(t.opts.dir), String(SCHEMA_VERSION));
    const raw = new ClassicLevel<string, string>(t.opts.dir);
    await raw.open();
    await raw.put('m!schema', String(SCHEMA_VERSION + 5));
    await raw.close();
    await assert.rejects(openIndex(t.opts), { code: 'CV_ERR_INDEX_SCHEMA' });
  });
});
