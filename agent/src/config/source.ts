/**
 * Turns the YAML file and the `--set` overrides into one tree whose every node remembers where
 * it came from (file line or --set), so validation can name the place of each problem.
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import type { ConfigProblem } from './errors.js';
import type { SchemaNode } from './schema.js';

export type Origin =
  | { readonly source: 'file'; readonly line: number }
  | { readonly source: '--set' }
  | { readonly source: 'default' };

export interface MapEntry {
  readonly keyOrigin: Origin;
  readonly node: SourceNode;
}
export type SourceNode =
  | { readonly kind: 'map'; readonly origin: Origin; readonly entries: ReadonlyMap<string, MapEntry> }
  | { readonly kind: 'seq'; readonly origin: Origin; readonly items: readonly SourceNode[] }
  | { readonly kind: 'scalar'; readonly origin: Origin; readonly value: unknown };

export const SET_ORIGIN: Origin = { source: '--set' };
export const DEFAULT_ORIGIN: Origin = { source: 'default' };

/** The plain value of a node (for messages and for leaves that take a list). */
export function plainValue(node: SourceNode): unknown {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'seq') return node.items.map(plainValue);
  return Object.fromEntries([...node.entries].map(([k, e]) => [k, plainValue(e.node)]));
}

export function problemAt(key: string, origin: Origin, message: string): ConfigProblem {
  if (origin.source === 'file') return { key, line: origin.line, source: 'file', message };
  return { key, source: origin.source === '--set' ? '--set' : 'file', message };
}

/** YAML's own message, without its "at line L, column C:" tail and code frame. */
function yamlMessage(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

export function parseYamlSource(text: string): { root: SourceNode; problems: ConfigProblem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const emptyRoot: SourceNode = { kind: 'map', origin: { source: 'file', line: 1 }, entries: new Map() };
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((err): ConfigProblem => {
      const line = err.linePos?.[0].line;
      const message = `invalid YAML: ${yamlMessage(err.message)}`;
      return line === undefined
        ? { key: '', source: 'file', message }
        : { key: '', line, source: 'file', message };
    });
    return { root: emptyRoot, problems };
  }
  if (doc.contents === null) return { root: emptyRoot, problems: [] };
  const problems: ConfigProblem[] = [];
  const root = convert(doc, doc.contents, '', (offset) => lineCounter.linePos(offset).line, problems);
  return { root, problems };
}

function convert(
  doc: Document,
  node: unknown,
  path: string,
  lineOf: (offset: number) => number,
  problems: ConfigProblem[],
): SourceNode {
  const target = isAlias(node) ? node.resolve(doc) : node;
  const range = (target as { range?: [number, number, number] } | null)?.range;
  const origin: Origin = { source: 'file', line: range === undefined ? 1 : lineOf(range[0]) };
  if (isMap(target)) {
    const entries = new Map<string, MapEntry>();
    for (const pair of target.items) {
      const keyNode = pair.key;
      const keyLine = isScalar(keyNode) && keyNode.range ? lineOf(keyNode.range[0]) : origin.line;
      const keyOrigin: Origin = { source: 'file', line: keyLine };
      const key = isScalar(keyNode) ? keyNode.value : keyNode;
      if (typeof key !== 'string' && typeof key !== 'number') {
        problems.push(problemAt(path === '' ? '(key)' : path, keyOrigin, 'keys must be plain names'));
        continue;
      }
      const name = String(key);
      const childPath = path === '' ? name : `${path}.${name}`;
      const value = pair.value ?? null;
      const child: SourceNode =
        value === null
          ? { kind: 'scalar', origin: keyOrigin, value: null }
          : convert(doc, value, childPath, lineOf, problems);
      entries.set(name, { keyOrigin, node: child });
    }
    return { kind: 'map', origin, entries };
  }
  if (isSeq(target)) {
    return {
      kind: 'seq',
      origin,
      items: target.items.map((item, i) => convert(doc, item, `${path}[${i}]`, lineOf, problems)),
    };
  }
  if (isScalar(target)) {
    const value = typeof target.value === 'bigint' ? Number(target.value) : target.value;
    return { kind: 'scalar', origin, value };
  }
  return { kind: 'scalar', origin, value: null };
}

/** Builds a node from plain data with one origin everywhere (defaults, --set values). */
export function fromPlain(value: unknown, origin: Origin): SourceNode {
  if (Array.isArray(value)) return { kind: 'seq', origin, items: value.map((v) => fromPlain(v, origin)) };
  if (value !== null && typeof value === 'object') {
    const entries = new Map<string, MapEntry>();
    for (const [k, v] of Object.entries(value))
      entries.set(k, { keyOrigin: origin, node: fromPlain(v, origin) });
    return { kind: 'map', origin, entries };
  }
  return { kind: 'scalar', origin, value };
}

/** Leaves whose `--set` value is taken as text, so `[::1]:5060` or `a:b` need no YAML quoting. */
const TEXT_KINDS: ReadonlySet<SchemaNode['kind']> = new Set<SchemaNode['kind']>([
  'string',
  'path',
  'listen',
  'port_range',
]);

export function schemaAt(schema: SchemaNode, path: readonly string[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = schema;
  for (const segment of path) {
    if (node === undefined) return undefined;
    if (node.kind === 'section') node = node.fields[segment];
    else if (node.kind === 'map') node = node.of;
    else return undefined;
  }
  return node;
}

const KEY_PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * Applies `--set key.path=value` overrides in order (later wins) and returns the new tree.
 * Unknown keys are left in the tree so validation reports them with its hints.
 */
export function applySets(
  root: SourceNode,
  sets: readonly string[],
  schema: SchemaNode,
): { root: SourceNode; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  let tree = root;
  for (const arg of sets) {
    const eq = arg.indexOf('=');
    const key = (eq < 0 ? arg : arg.slice(0, eq)).trim();
    if (eq < 0 || !KEY_PATH.test(key)) {
      problems.push(
        problemAt(
          key,
          SET_ORIGIN,
          `must be key.path=value (e.g. sip.udp=127.0.0.1:5060), got ${JSON.stringify(arg)}`,
        ),
      );
      continue;
    }
    const path = key.split('.');
    const parsed = parseSetValue(arg.slice(eq + 1), schemaAt(schema, path));
    if (!parsed.ok) {
      problems.push(problemAt(key, SET_ORIGIN, parsed.message));
      continue;
    }
    const next = setIn(tree, path, parsed.node);
    if (next === undefined) {
      problems.push(problemAt(key, SET_ORIGIN, 'cannot be set: a key above it holds a value, not a section'));
      continue;
    }
    tree = next;
  }
  return { root: tree, problems };
}

function parseSetValue(
  text: string,
  target: SchemaNode | undefined,
): { ok: true; node: SourceNode } | { ok: false; message: string } {
  const trimmed = text.trim();
  if (target !== undefined && TEXT_KINDS.has(target.kind) && !/^["']/.test(trimmed)) {
    return { ok: true, node: { kind: 'scalar', origin: SET_ORIGIN, value: trimmed === '' ? null : trimmed } };
  }
  const doc = parseDocument(trimmed, { prettyErrors: true });
  const err = doc.errors[0];
  if (err !== undefined)
    return {
      ok: false,
      message: `value is not valid YAML (${yamlMessage(err.message)}), got ${JSON.stringify(text)}`,
    };
  return { ok: true, node: fromPlain(doc.toJS() as unknown, SET_ORIGIN) };
}

function setIn(node: SourceNode, path: readonly string[], value: SourceNode): SourceNode | undefined {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  if (node.kind !== 'map') return undefined;
  const existing = node.entries.get(head);
  const child =
    rest.length === 0
      ? value
      : setIn(existing?.node ?? { kind: 'map', origin: SET_ORIGIN, entries: new Map() }, rest, value);
  if (child === undefined) return undefined;
  const entries = new Map(node.entries);
  entries.set(head, { keyOrigin: SET_ORIGIN, node: child });
  return { kind: 'map', origin: node.origin, entries };
}
