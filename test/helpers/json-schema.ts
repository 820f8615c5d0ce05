/**
 * The subset of JSON Schema 2020-12 our schemas in docs/ use: type (one or a list), const, enum,
 * required, properties, additionalProperties: false, items, minimum, pattern, format date-time.
 * Returns the problems found ([] = valid). A keyword it does not know is itself a problem, so a
 * schema cannot grow past what the check really checks.
 */
type Schema = Record<string, unknown>;

const KNOWN = new Set([
  '$schema',
  '$id',
  'title',
  'description',
  'type',
  'const',
  'enum',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'minimum',
  'pattern',
  'format',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function validate(schema: Schema, value: unknown, at = '$'): string[] {
  const out: string[] = [];
  for (const k of Object.keys(schema))
    if (!KNOWN.has(k)) out.push(`${at}: schema keyword ${k} not supported`);
  if (schema['type'] !== undefined) {
    const types = ([] as unknown[]).concat(schema['type']);
    const t = typeOf(value);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number')))
      return [...out, `${at}: ${t}, want ${types.join('|')}`];
  }
  if ('const' in schema && value !== schema['const']) out.push(`${at}: want ${String(schema['const'])}`);
  if (Array.isArray(schema['enum']) && !schema['enum'].includes(value))
    out.push(`${at}: ${String(value)} not in enum`);
  if (typeof value === 'string') {
    if (typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern'], 'u').test(value))
      out.push(`${at}: does not match ${schema['pattern']}`);
    if (
      schema['format'] === 'date-time' &&
      !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value)
    )
      out.push(`${at}: not a date-time`);
  }
  if (typeof value === 'number' && typeof schema['minimum'] === 'number' && value < schema['minimum'])
    out.push(`${at}: below ${schema['minimum']}`);
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    for (const r of (schema['required'] as string[] | undefined) ?? [])
      if (!(r in obj)) out.push(`${at}: ${r} missing`);
    const props = (schema['properties'] as Record<string, Schema> | undefined) ?? {};
    for (const [k, v] of Object.entries(obj)) {
      if (props[k] !== undefined) out.push(...validate(props[k], v, `${at}.${k}`));
      else if (schema['additionalProperties'] === false) out.push(`${at}: ${k} not allowed`);
    }
  }
  if (Array.isArray(value) && schema['items'] !== undefined)
    value.forEach((v, i) => out.push(...validate(schema['items'] as Schema, v, `${at}[${i}]`)));
  return out;
}
