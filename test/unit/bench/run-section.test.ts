/**
 * scripts/bench: every benchmark module exports the same shape (run.ts imports the list), and
 * `make bench` rewrites only its marked section of docs/benchmarks.md.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  mergedTable,
  replaceRunSection,
  sectionLines,
  SECTION_END,
  SECTION_START,
  TABLE_HEAD,
} from '../../../scripts/bench/doc-section.js';
import { row } from '../../../scripts/bench/bench.js';
import { BENCHES } from '../../../scripts/bench/list.js';
import { bench as sip } from '../../../scripts/bench/sip-bench.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('scripts/bench (uniform export, marked doc section)', () => {
  it('lists every benchmark once, each a { name, run } with a distinct name', () => {
    const names = BENCHES.map((b) => b.name);
    assert.deepEqual(names, ['vault', 'sip', 'sip-setup', 'media', 'load', 'index', 'dpo', 'console']);
    for (const b of BENCHES) assert.equal(typeof b.run, 'function', b.name);
    assert.ok(BENCHES.includes(sip));
  });

  it('replaces only the marked section and keeps the hand-written ones byte for byte', () => {
    const doc = readFileSync(join(root, 'docs', 'benchmarks.md'), 'utf8');
    assert.equal(doc.split(SECTION_START).length, 2, 'one start marker');
    assert.equal(doc.split(SECTION_END).length, 2, 'one end marker');
    const handWritten = doc.slice(doc.indexOf(SECTION_END) + SECTION_END.length);
    for (const heading of [
      '## Load and call setup',
      '## DPO:',
      '## Web console',
      '## Metrics scrape',
      '## Media hot path',
    ])
      assert.ok(handWritten.includes(heading), heading);
    const out = replaceRunSection(doc, 'Produced by a test run.\n\n| bench | metric |\n');
    assert.ok(out.startsWith(`# Benchmarks\n\n${SECTION_START}\nProduced by a test run.`));
    assert.equal(out.slice(out.indexOf(SECTION_END) + SECTION_END.length), handWritten);
    assert.ok(!out.includes('2026-11-23T22:52:50.113Z'), 'the old run is gone');
    // Idempotent: a second run with the same figures changes nothing.
    assert.equal(replaceRunSection(out, 'Produced by a test run.\n\n| bench | metric |\n'), out);
  });

  it('adds the section under the title of a document that has none, and makes one from nothing', () => {
    const old = '# Benchmarks\n\n## Hand-written\ntext\n';
    assert.equal(
      replaceRunSection(old, 'figures'),
      `# Benchmarks\n\n${SECTION_START}\nfigures\n${SECTION_END}\n\n## Hand-written\ntext\n`,
    );
    assert.equal(
      replaceRunSection('', 'figures'),
      `# Benchmarks\n\n${SECTION_START}\nfigures\n${SECTION_END}\n`,
    );
  });

  it('refuses markers out of order or doubled rather than guess', () => {
    assert.throws(() => replaceRunSection(`x\n${SECTION_END}\n${SECTION_START}\n`, 'f'));
    assert.throws(() => replaceRunSection(`x\n${SECTION_START}\n${SECTION_END}\n${SECTION_START}\n`, 'f'));
  });

  it('a run of some benchmarks keeps the rows of the others from the doc', () => {
    const doc = readFileSync(join(root, 'docs', 'benchmarks.md'), 'utf8');
    const earlier = sectionLines(doc);
    const names = BENCHES.map((b) => b.name);
    // Every row of the committed table belongs to a benchmark of the list.
    assert.deepEqual(
      [...earlier.keys()].filter((n) => !names.includes(n)),
      [],
    );
    const vaultBefore = earlier.get('vault') ?? [];
    assert.equal(vaultBefore.length, 5);
    const table = mergedTable(
      names,
      new Map([['sip', [row('parse msg/s', '123', { target: '≥ 50000' })]]]),
      earlier,
    );
    const lines = table.split('\n');
    assert.equal(lines.slice(0, 2).join('\n'), TABLE_HEAD);
    assert.ok(lines.includes('| sip | parse msg/s | 123 |  |  | ≥ 50000 |'));
    assert.equal(lines.filter((l) => l.startsWith('| sip |')).length, 1, 'the old sip rows are replaced');
    for (const l of vaultBefore) assert.ok(lines.includes(l), l);
    assert.ok(lines.indexOf(vaultBefore[0]!) < lines.indexOf('| sip | parse msg/s | 123 |  |  | ≥ 50000 |'));
    // Every earlier row but sip's is still there.
    const kept = [...earlier].filter(([n]) => n !== 'sip').flatMap(([, ls]) => ls);
    assert.equal(lines.length, 2 + kept.length + 1);
  });
});
