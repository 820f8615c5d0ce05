/**
 * Checks a source tree against the schema, key by key, and returns plain validated values
 * (defaults filled, paths absolute). Problems are collected, not thrown, so one run reports
 * every mistake in the file.
 */
import { isAbsolute, resolve } from 'node:path';
import type { ConfigProblem } from './errors.js';
import { REQUIRED, type LeafNode, type MapNode, type SchemaNode, type SectionNode } from './schema.js';
import {
  DEFAULT_ORIGIN,
  fromPlain,
  plainValue,
  problemAt,
  type MapEntry,
  type Origin,
  type SourceNode,
} from './source.js';
import { nearest, unknownKeyMessage } from './suggest.js';
import { describeValue, parseBytes, parseCidr, parseListen, parsePortRange } from './values.js';

export interface ValidationContext {
  readonly schema: SchemaNode;
  readonly cwd: string;
  readonly problems: ConfigProblem[];
  /** Where each validated key's value came from, for cross-field messages. */
  readonly origins: Map<string, Origin>;
}

/**
 * Values for keys the source leaves out: a record of already-valid values (a policy being
 * extended), or 'present-only' to validate only the keys that are there.
 */
export type Fallback = Readonly<Record<string, unknown>> | 'present-only' | undefined;

type Values = Record<string, unknown>;
const EMPTY: ReadonlyMap<string, MapEntry> = new Map();

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/** The entries of a mapping node; a non-mapping is reported and treated as empty. */
export function entriesOf(
  node: SourceNode | undefined,
  path: string,
  ctx: ValidationContext,
): ReadonlyMap<string, MapEntry> {
  if (node === undefined || (node.kind === 'scalar' && node.value === null)) return EMPTY;
  if (node.kind === 'map') return node.entries;
  ctx.problems.push(
    problemAt(
      path === '' ? '(top level)' : path,
      node.origin,
      `must be a mapping of keys, got ${describeValue(plainValue(node))}`,
    ),
  );
  return EMPTY;
}

export function reportUnknownKeys(
  fields: Readonly<Record<string, SchemaNode>>,
  entries: ReadonlyMap<string, MapEntry>,
  path: string,
  ctx: ValidationContext,
): void {
  const known = Object.keys(fields);
  for (const [key, entry] of entries) {
    if (Object.hasOwn(fields, key)) continue;
    const full = join(path, key);
    ctx.problems.push(problemAt(full, entry.keyOrigin, unknownKeyMessage(ctx.schema, full, key, known)));
  }
}

function hasRequired(node: SchemaNode): boolean {
  if (node.kind === 'section') return Object.values(node.fields).some(hasRequired);
  if (node.kind === 'map') return false;
  return node.default === REQUIRED;
}

export function validateSection(
  schema: SectionNode,
  entry: MapEntry | undefined,
  path: string,
  ctx: ValidationContext,
  fallback: Fallback,
  parentOrigin: Origin,
): Values {
  const entries = entriesOf(entry?.node, path, ctx);
  reportUnknownKeys(schema.fields, entries, path, ctx);
  return validateFields(schema.fields, entries, path, ctx, fallback, entry?.keyOrigin ?? parentOrigin);
}

/** Validates the named fields only (unknown keys are the caller's business). */
export function validateFields(
  fields: Readonly<Record<string, SchemaNode>>,
  entries: ReadonlyMap<string, MapEntry>,
  path: string,
  ctx: ValidationContext,
  fallback: Fallback,
  sectionOrigin: Origin,
): Values {
  const out: Values = {};
  for (const [name, field] of Object.entries(fields)) {
    const childPath = join(path, name);
    const entry = entries.get(name);
    if (entry === undefined && fallback === 'present-only') continue;
    const inherited = fallback === undefined || fallback === 'present-only' ? undefined : fallback[name];
    if (field.kind === 'section') {
      if (entry === undefined && inherited === undefined && hasRequired(field)) {
        ctx.problems.push(problemAt(childPath, sectionOrigin, 'is required (a section)'));
        continue;
      }
      const sub: Fallback = fallback === 'present-only' ? fallback : (inherited as Values | undefined);
      out[name] = validateSection(field, entry, childPath, ctx, sub, sectionOrigin);
    } else if (field.kind === 'map') {
      out[name] = validateMap(field, entry?.node, childPath, ctx, () => undefined);
    } else if (entry === undefined && inherited !== undefined) {
      ctx.origins.set(childPath, sectionOrigin);
      out[name] = inherited;
    } else if (entry === undefined && field.default === REQUIRED) {
      ctx.problems.push(problemAt(childPath, sectionOrigin, `is required: ${expectation(field)}`));
    } else {
      const node = entry?.node ?? fromPlain(field.default, DEFAULT_ORIGIN);
      ctx.origins.set(childPath, node.origin);
      const result = parseLeaf(field, node, ctx.cwd);
      if (result.ok) out[name] = result.value;
      else for (const f of result.failures) ctx.problems.push(problemAt(childPath, f.origin, f.message));
    }
  }
  return out;
}

/** A mapping of user-chosen names to sections; `fallbackFor` lets an entry extend another. */
export function validateMap(
  field: MapNode,
  node: SourceNode | undefined,
  path: string,
  ctx: ValidationContext,
  fallbackFor: (entry: SourceNode) => Fallback,
): Record<string, Values> {
  const out: Record<string, Values> = {};
  for (const [name, entry] of entriesOf(node, path, ctx)) {
    const childPath = join(path, name);
    if (!field.keyPattern.test(name)) {
      ctx.problems.push(
        problemAt(childPath, entry.keyOrigin, `name must be ${field.keyExpect}, got ${JSON.stringify(name)}`),
      );
      continue;
    }
    out[name] = validateSection(field.of, entry, childPath, ctx, fallbackFor(entry.node), entry.keyOrigin);
  }
  return out;
}

/** "must be …" for a leaf, shared by type errors and "is required". */
export function expectation(field: LeafNode): string {
  const orOff = 'nullable' in field && field.nullable === true ? ' or off' : '';
  switch (field.kind) {
    case 'int':
      return `must be an integer ${field.min}-${field.max}${field.unit === undefined ? '' : ` (${field.unit})`}${orOff}`;
    case 'bytes':
      return `must be a byte count >= ${field.min}`;
    case 'bool':
      return 'must be true or false';
    case 'enum':
      return `must be one of ${field.values.join(', ')}${orOff}`;
    case 'string':
      return `must be ${field.expect}`;
    case 'path':
      return `must be a file system path${orOff}`;
    case 'listen':
      return 'must be "ADDR:PORT", "[IPv6]:PORT" or off';
    case 'port_range':
      return 'must be "LOW-HIGH" with 1024 <= LOW < HIGH <= 65535, LOW even';
    case 'cidr_list':
      return 'must be a list of addresses or CIDRs';
    case 'string_list':
      return 'must be a list of strings';
  }
}

interface Failure {
  readonly origin: Origin;
  readonly message: string;
}
type LeafResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly failures: readonly Failure[] };

const isOff = (raw: unknown): boolean => raw === null || raw === 'off';

export function parseLeaf(field: LeafNode, node: SourceNode, cwd: string): LeafResult {
  const raw = plainValue(node);
  const got = `got ${describeValue(raw)}`;
  const fail = (message: string): LeafResult => ({ ok: false, failures: [{ origin: node.origin, message }] });
  const ok = (value: unknown): LeafResult => ({ ok: true, value });
  const nullable = 'nullable' in field && field.nullable === true;
  if (nullable && isOff(raw)) return ok(null);
  switch (field.kind) {
    case 'int':
      if (typeof raw === 'number' && Number.isInteger(raw) && raw >= field.min && raw <= field.max)
        return ok(raw);
      return fail(`${expectation(field)}, ${got}`);
    case 'bytes': {
      const r = parseBytes(raw, field.min);
      return r.ok ? ok(r.value) : fail(r.message);
    }
    case 'bool':
      if (typeof raw !== 'boolean') return fail(`${expectation(field)}, ${got}`);
      if (field.mustBe !== undefined && raw !== field.mustBe.value) {
        return fail(`must be ${String(field.mustBe.value)}: ${field.mustBe.why}, ${got}`);
      }
      return ok(raw);
    case 'enum': {
      if (typeof raw === 'string' && field.values.includes(raw)) return ok(raw);
      const near = typeof raw === 'string' ? nearest(raw, field.values) : undefined;
      return fail(`${expectation(field)}, ${got}${near === undefined ? '' : ` (did you mean ${near}?)`}`);
    }
    case 'string': {
      const text = typeof raw === 'number' ? String(raw) : raw;
      if (typeof text === 'string' && field.pattern.test(text)) return ok(text);
      return fail(`${expectation(field)}, ${got}`);
    }
    case 'path':
      if (typeof raw !== 'string' || raw.trim() === '' || raw.includes('\0'))
        return fail(`${expectation(field)}, ${got}`);
      return ok(isAbsolute(raw) ? resolve(raw) : resolve(cwd, raw));
    case 'listen': {
      const r = parseListen(raw);
      return r.ok ? ok(r.value) : fail(r.message);
    }
    case 'port_range': {
      const r = parsePortRange(raw);
      return r.ok ? ok(r.value) : fail(r.message);
    }
    case 'cidr_list':
      return parseList(node, field, (item) => parseCidr(item));
    case 'string_list':
      return parseList(node, field, (item) =>
        typeof item === 'string'
          ? { ok: true, value: item }
          : { ok: false, message: `must be text, got ${describeValue(item)}` },
      );
  }
}

function parseList(
  node: SourceNode,
  field: LeafNode,
  parseItem: (raw: unknown) => { ok: true; value: string } | { ok: false; message: string },
): LeafResult {
  if (node.kind !== 'seq') {
    return {
      ok: false,
      failures: [
        {
          origin: node.origin,
          message: `${expectation(field)} (e.g. [a, b]), got ${describeValue(plainValue(node))}`,
        },
      ],
    };
  }
  const values: string[] = [];
  const failures: Failure[] = [];
  node.items.forEach((item, i) => {
    const r = parseItem(plainValue(item));
    if (r.ok) values.push(r.value);
    else failures.push({ origin: item.origin, message: `entry ${i + 1} ${r.message}` });
  });
  return failures.length === 0 ? { ok: true, value: values } : { ok: false, failures };
}
