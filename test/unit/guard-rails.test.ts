/**
 * stages.cjs and the rules generated from it: the list names every folder under agent/src, the
 * dependency-cruiser config forbids what the list does not allow, and the ESLint config (run
 * through the ESLint API on snippets) rejects stage-crossing imports and module-level mutable
 * state outside the listed files.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

interface Stage {
  readonly name: string;
  readonly imports: readonly string[];
}
interface StageList {
  readonly STAGES: readonly Stage[];
  readonly ROOT_FILES: readonly { file: string }[];
  readonly MUTABLE_STATE_FILES: readonly { file: string; why: string }[];
  forbiddenFor(name: string): string[];
}
interface CruiseRule {
  readonly name: string;
  readonly from: { path?: string };
  readonly to: { path?: string; pathNot?: string };
}
const stages = require(join(root, 'stages.cjs')) as StageList;
const cruiser = require(join(root, '.dependency-cruiser.cjs')) as { forbidden: CruiseRule[] };

/** The ids of the rules `text`, linted as if it were `file`, breaks. */
async function lintAs(file: string, text: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(text, { filePath: join(root, file) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

describe('guard rails (stages.cjs)', () => {
  it('names every folder under agent/src and no folder that is gone', () => {
    const src = join(root, 'agent', 'src');
    const entries = readdirSync(src, { withFileTypes: true });
    const folders = entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    const files = entries
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort();
    assert.deepEqual([...stages.STAGES.map((s) => s.name)].sort(), folders);
    assert.deepEqual(stages.ROOT_FILES.map((f) => f.file).sort(), files);
  });

  it('lists mutable-state exceptions that exist, each with its reason', () => {
    assert.ok(stages.MUTABLE_STATE_FILES.length > 0);
    for (const f of stages.MUTABLE_STATE_FILES) {
      assert.ok(existsSync(join(root, f.file)), f.file);
      assert.ok(f.why.length > 0, f.file);
    }
  });

  it('dependency-cruiser forbids each stage every stage the list does not allow it', () => {
    for (const s of stages.STAGES) {
      const forbidden = stages.forbiddenFor(s.name);
      const rule = cruiser.forbidden.find((r) => r.from.path === `^agent/src/${s.name}/`);
      assert.ok(rule !== undefined, `a rule for ${s.name}`);
      const to = new RegExp(rule.to.path ?? '$^');
      for (const other of stages.STAGES) {
        const path = `agent/src/${other.name}/index.ts`;
        assert.equal(to.test(path), forbidden.includes(other.name), `${s.name} → ${other.name}`);
      }
    }
    // The review's case: media must not reach the recorder.
    assert.ok(stages.forbiddenFor('media').includes('recorder'));
    const unknown = cruiser.forbidden.find((r) => r.name === 'every-folder-in-stage-list');
    assert.ok(unknown?.to.pathNot !== undefined);
    assert.equal(new RegExp(unknown.to.pathNot).test('agent/src/newstage/x.ts'), false);
    assert.equal(new RegExp(unknown.to.pathNot).test('agent/src/calls/index.ts'), true);
  });

  it('ESLint rejects an import of a stage the list does not allow, and deep imports', async () => {
    const bad = await lintAs(
      'agent/src/media/probe.ts',
      "import type { CallRecorder } from '../recorder/index.js';\nexport type X = CallRecorder;\n",
    );
    assert.deepEqual(bad, ['no-restricted-imports']);
    const deep = await lintAs(
      'agent/src/vault/probe.ts',
      "import { inspectLevelDir } from '../common/leveldb-files.js';\nexport const f = inspectLevelDir;\n",
    );
    assert.deepEqual(deep, ['no-restricted-imports']);
    const ok = await lintAs(
      'agent/src/recorder/probe.ts',
      "import type { CodecName } from '../media/index.js';\nexport type X = CodecName;\n",
    );
    assert.deepEqual(ok, []);
  });

  it('ESLint rejects module-level let/var except in the listed files', async () => {
    const snippet = 'let count = 0;\nexport function next(): number {\n  count += 1;\n  return count;\n}\n';
    assert.deepEqual(await lintAs('agent/src/media/probe.ts', snippet), ['no-restricted-syntax']);
    const exported = await lintAs('agent/src/calls/probe.ts', `export ${snippet.replace('let', 'var')}`);
    assert.ok(exported.includes('no-restricted-syntax'), exported.join());
    // Inside a function, and a const binding, are fine.
    assert.deepEqual(
      await lintAs(
        'agent/src/media/probe.ts',
        'export function f(): number {\n  let n = 0;\n  n += 1;\n  return n;\n}\n',
      ),
      [],
    );
    const listed = stages.MUTABLE_STATE_FILES[0]!.file;
    assert.deepEqual(await lintAs(listed, snippet), []);
  });

  it('ESLint rejects a module-level cache or pool (a Map, Set or empty array not typed read-only)', async () => {
    const rejected = [
      'const cache = new Map<string, number>();\nexport const get = (k: string): number | undefined => cache.get(k);\n',
      'const pool: number[] = [];\nexport const take = (): number | undefined => pool.pop();\n',
      'export const seen = new Set<string>();\n',
    ];
    for (const src of rejected)
      assert.deepEqual(await lintAs('agent/src/media/probe.ts', src), ['no-restricted-syntax'], src);
    // A lookup table is declared read-only, and is fine; so is a container inside a function.
    const accepted = [
      "const KNOWN: ReadonlySet<string> = new Set(['a', 'b']);\nexport const known = (k: string): boolean => KNOWN.has(k);\n",
      "const BY: ReadonlyMap<string, number> = new Map([['a', 1]]);\nexport const by = (k: string): number | undefined => BY.get(k);\n",
      'const NONE: readonly string[] = [];\nexport const none = (): readonly string[] => NONE;\n',
      'export function f(): number {\n  const m = new Map<string, number>();\n  return m.size;\n}\n',
    ];
    for (const src of accepted) assert.deepEqual(await lintAs('agent/src/media/probe.ts', src), [], src);
  });
});
