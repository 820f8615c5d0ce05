/**
 * loadConfig: file → YAML tree (with lines) → `--set` overrides → per-key validation and
 * defaults → cross-field checks → typed, deep-frozen Config. Nothing here opens a socket or
 * writes a file (STYLE rule 21); every problem found is reported in one ConfigError.
 */
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { crossChecks, type ValidatedTree } from './checks.js';
import { ConfigError, ConfigFileError, type ConfigProblem } from './errors.js';
import { deepFreeze } from './freeze.js';
import { validatePolicySection } from './policy.js';
import { CONFIG_SCHEMA, type SectionNode } from './schema.js';
import { DEFAULT_ORIGIN, applySets, parseYamlSource } from './source.js';
import { entriesOf, reportUnknownKeys, validateSection, type ValidationContext } from './validate.js';
import type { Config, KeysConfig } from './types.js';

export interface LoadConfigOptions {
  /** The YAML file; relative to `cwd`. */
  readonly file: string;
  /** `key.path=value` overrides, applied in order after the file (later wins). */
  readonly sets?: readonly string[];
  /** Relative paths in the file and in `--set` resolve against this; default process.cwd(). */
  readonly cwd?: string;
}

function readConfigFile(file: string, fileName: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'is not readable (permission denied)'
            : `cannot be read (${code ?? String(err)})`;
    throw new ConfigFileError(file, fileName, `config file ${file} ${why}`, err);
  }
}

/** File problems by line, then those with no line, then --set ones (in the order given). */
function placeOrder(p: ConfigProblem): number {
  if (p.source === '--set') return Number.MAX_SAFE_INTEGER;
  return p.line ?? Number.MAX_SAFE_INTEGER - 1;
}

/**
 * Reads, validates and freezes the configuration.
 * @throws ConfigFileError (CV_ERR_CONFIG_FILE) when the file cannot be read.
 * @throws ConfigError (CV_ERR_CONFIG_INVALID) listing every problem found.
 */
export function loadConfig(options: LoadConfigOptions): Config {
  const cwd = resolve(options.cwd ?? process.cwd());
  const file = resolve(cwd, options.file);
  const fileName = basename(file);
  const fail = (problems: readonly ConfigProblem[]): never => {
    throw new ConfigError(
      file,
      fileName,
      [...problems].sort((a, b) => placeOrder(a) - placeOrder(b)),
    );
  };

  const parsed = parseYamlSource(readConfigFile(file, fileName));
  if (parsed.problems.length > 0) fail(parsed.problems);
  const withSets = applySets(parsed.root, options.sets ?? [], CONFIG_SCHEMA);

  const ctx: ValidationContext = {
    schema: CONFIG_SCHEMA,
    cwd,
    problems: [...parsed.problems, ...withSets.problems],
    origins: new Map(),
  };
  const entries = entriesOf(withSets.root, '', ctx);
  reportUnknownKeys(CONFIG_SCHEMA.fields, entries, '', ctx);
  const tree: Record<string, Record<string, unknown>> = {};
  for (const [name, field] of Object.entries(CONFIG_SCHEMA.fields)) {
    if (name === 'policy') continue;
    tree[name] = validateSection(
      field as SectionNode,
      entries.get(name),
      name,
      ctx,
      undefined,
      DEFAULT_ORIGIN,
    );
  }
  const { policy, policies } = validatePolicySection(entries.get('policy'), ctx, file);
  if (
    tree.storage !== undefined &&
    tree.keys !== undefined &&
    tree.keys.master_key_file === null &&
    typeof tree.storage.dir === 'string'
  ) {
    tree.keys = { ...tree.keys, master_key_file: join(tree.storage.dir, 'keys', 'master.key') };
  }
  crossChecks(tree as ValidatedTree, ctx);
  if (ctx.problems.length > 0 || policy === undefined) fail(ctx.problems);

  return deepFreeze({
    file,
    ...(tree as unknown as Omit<Config, 'file' | 'policy' | 'policies' | 'keys'>),
    keys: tree.keys as unknown as KeysConfig,
    policy: policy as NonNullable<typeof policy>,
    policies,
  });
}
