/**
 * `make bench`: runs every benchmark in this process tree, prints a table, and updates its own
 * section of docs/benchmarks.md (the date, the machine, the command that reproduces the figures),
 * leaving the hand-written sections there as they are. Each benchmark reports its own baseline
 * measured in the same run, so ratios stay meaningful on a shared, noisy machine.
 *
 * `npx tsx scripts/bench/run.ts NAME…` runs only the named benchmarks: their rows replace their
 * earlier ones in the table, the other benchmarks' rows stay.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, hostname, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './bench.js';
import { mergedTable, replaceRunSection, sectionLines } from './doc-section.js';
import { BENCHES } from './list.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

const only = process.argv.slice(2);
const unknown = only.filter((name) => !BENCHES.some((b) => b.name === name));
if (unknown.length > 0) {
  process.stderr.write(
    `bench: no benchmark ${unknown.join(', ')}; there are ${BENCHES.map((b) => b.name).join(', ')}\n`,
  );
  process.exit(1);
}
const loadAtStart = loadavg()[0]!.toFixed(2);
const ran = new Map<string, readonly BenchRow[]>();
for (const b of BENCHES) {
  if (only.length > 0 && !only.includes(b.name)) continue;
  process.stderr.write(`bench: ${b.name}…\n`);
  ran.set(b.name, (await b.run({ env: process.env })).rows);
}
const names = BENCHES.map((b) => b.name);
process.stdout.write(`${mergedTable(names, ran, new Map())}\n`);

const docFile = join(root, 'docs', 'benchmarks.md');
const before = existsSync(docFile) ? readFileSync(docFile, 'utf8') : '';
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, host ${hostname()}`;
const scope = only.length > 0 ? ` for ${only.join(', ')} (the other rows are from earlier runs)` : '';
const section = `Produced by \`make bench\` (scripts/bench/run.ts) on ${new Date().toISOString()}${scope}.
Machine: ${machine}; 1-minute load average at start ${loadAtStart} (the machine is shared: compare ratios, not absolutes).
Reproduce: \`make bench\` (or \`npx tsx scripts/bench/run.ts vault\` for one benchmark).
Baselines are measured in the same run; ratios are ours ÷ baseline.

${mergedTable(names, ran, sectionLines(before))}
`;
writeFileSync(docFile, replaceRunSection(before, section));
