import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleConfig, loadConfig } from '../../../agent/src/config/index.js';
import { CONFIG_SCHEMA, type SchemaNode } from '../../../agent/src/config/schema.js';
import { makeTempDir, removeDir } from './helpers.js';

function leafPaths(node: SchemaNode, prefix: string): string[] {
  if (node.kind === 'section')
    return Object.entries(node.fields).flatMap(([k, f]) =>
      leafPaths(f, prefix === '' ? k : `${prefix}.${k}`),
    );
  if (node.kind === 'map') return [];
  return [prefix];
}

describe('config/example', function () {
  this.timeout(5000);
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeDir(dir));

  it('loads as is, giving the defaults', () => {
    writeFileSync(join(dir, 'example.yaml'), exampleConfig());
    const config = loadConfig({ file: 'example.yaml', cwd: dir, sets: [`storage.dir=${join(dir, 'data')}`] });
    assert.equal(config.policy.name, 'hrm');
    assert.deepEqual(config.media.rtp_ports, { low: 20000, high: 29999 });
    assert.equal(config.storage.min_free_bytes, 2 ** 30);
  });

  it('names every key of the schema', () => {
    const text = exampleConfig();
    for (const path of leafPaths(CONFIG_SCHEMA, '')) {
      const key = path.split('.').at(-1) ?? '';
      assert.match(text, new RegExp(`^\\s*(# )?\\s*${key}:`, 'm'), path);
    }
  });

  it('its commented policy overrides and custom policy load when uncommented', () => {
    // The commented blocks run from the "Overrides" line to the end of the policy section.
    const lines = exampleConfig().split('\n');
    const start = lines.findIndex((l) => l.startsWith('  # Overrides of the selected policy'));
    const end = lines.findIndex((l, i) => i > start && l === '');
    assert.ok(start > 0 && end > start);
    const text = lines
      .map((line, i) => (i > start && i < end ? line.replace(/^ {2}# /, '  ') : line))
      .join('\n')
      .replace('name: hrm', 'name: example-org');
    writeFileSync(join(dir, 'full.yaml'), text);
    const config = loadConfig({ file: 'full.yaml', cwd: dir, sets: [`storage.dir=${join(dir, 'data')}`] });
    assert.equal(config.policy.name, 'example-org');
    assert.ok(config.policy.overridden.includes('retention_days'));
    assert.ok(config.policy.overridden.includes('consent.mode'));
    assert.equal(config.policies['example-org']?.retention_days, 365);
  });
});
