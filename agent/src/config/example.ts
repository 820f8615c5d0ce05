/**
 * exampleConfig: every key with its default and doc, rendered from the schema (so it cannot
 * drift from what is validated). `callvaultctl config example` prints it; it loads as is.
 */
import { stringify } from 'yaml';
import { POLICY_PRESETS } from './policy-presets.js';
import {
  CONFIG_SCHEMA,
  CUSTOM_POLICY,
  POLICY_FIELDS,
  REQUIRED,
  type LeafNode,
  type SchemaNode,
} from './schema.js';
import { expectation } from './validate.js';

const HEADER = `# callvault configuration — every key, with its default.
# Validate with: callvaultctl --config FILE config check
# Override any key at start: callvault --config FILE --set sip.udp=0.0.0.0:5060 --set storage.dir=/srv/cv
# Relative paths resolve against the directory callvault is started from.
# Listeners are "ADDR:PORT" or off; quote IPv6 ones in YAML: "[::1]:5060".
`;

/** The example's policy: the field values shown for overrides and for the custom policy. */
const EXAMPLE_BASE = 'hrm';
const CUSTOM_DOC = 'Policies defined here, by name: uncomment to define one (policy.name selects it).';

function scalar(value: unknown): string {
  if (value === null) return 'off';
  if (Array.isArray(value)) return `[${value.map(scalar).join(', ')}]`;
  return stringify(value, { lineWidth: 0 }).trim();
}

function leafComment(field: LeafNode): string {
  const extra =
    field.kind === 'path' && field.defaultDoc !== undefined ? ` Default: ${field.defaultDoc}.` : '';
  return `${field.doc} [${expectation(field).replace(/^must be /, '')}]${extra}`;
}

function exampleValue(field: LeafNode): unknown {
  if (field.default === REQUIRED) return null;
  return field.default;
}

/**
 * Renders fields with the values shown (`undefined`: the schema's defaults). `margin` is
 * where a line starts; `commented` puts "# " there so the block documents without taking
 * effect, and nesting indents after it.
 */
function render(
  fields: Readonly<Record<string, SchemaNode>>,
  margin: string,
  commented: boolean,
  indent: string,
  values: Readonly<Record<string, unknown>> | undefined,
): string[] {
  const lines: string[] = [];
  const lead = `${margin}${commented ? '# ' : ''}${indent}`;
  for (const [name, field] of Object.entries(fields)) {
    if (field.kind === 'map') continue;
    if (field.kind === 'section') {
      const sub = values?.[name] as Readonly<Record<string, unknown>> | undefined;
      lines.push(
        `${lead}# ${field.doc}`,
        `${lead}${name}:`,
        ...render(field.fields, margin, commented, `${indent}  `, sub),
      );
      continue;
    }
    const value = values === undefined ? exampleValue(field) : values[name];
    lines.push(
      `${lead}# ${leafComment(field)}`,
      `${lead}${name}: ${field.kind === 'path' && value === null ? 'null' : scalar(value)}`,
    );
  }
  return lines;
}

export function exampleConfig(): string {
  // Notes are the preset's prose, not something to override: shown empty.
  const base = { ...(POLICY_PRESETS[EXAMPLE_BASE] as unknown as Record<string, unknown>), notes: [] };
  const lines: string[] = [HEADER];
  for (const [name, section] of Object.entries(CONFIG_SCHEMA.fields)) {
    if (section.kind !== 'section') continue;
    lines.push(`# ${section.doc}`, `${name}:`);
    if (name !== 'policy') {
      lines.push(...render(section.fields, '', false, '  ', undefined), '');
      continue;
    }
    lines.push(
      `  # A shipped preset (${Object.keys(POLICY_PRESETS).join(', ')}) or a name under custom. Required.`,
      `  name: ${EXAMPLE_BASE}`,
      `  # Overrides of the selected policy: uncomment a key to change it for this appliance.`,
      ...render(POLICY_FIELDS.fields, '  ', true, '', base),
      `  # # ${CUSTOM_DOC}`,
      `  # custom:`,
      `  #   example-org:`,
      ...render(CUSTOM_POLICY.fields, '  ', true, '    ', { ...base, extends: EXAMPLE_BASE }),
      '',
    );
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
