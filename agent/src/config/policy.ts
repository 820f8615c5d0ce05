/**
 * The `policy` section: selects a preset or a policy defined under policy.custom, and applies
 * any policy field given directly under `policy` as a local override.
 */
import { ConfigError } from './errors.js';
import { deepFreeze } from './freeze.js';
import { POLICY_PRESETS } from './policy-presets.js';
import {
  CONFIG_SCHEMA,
  CUSTOM_POLICY,
  POLICY_FIELDS,
  PRESET_NAMES,
  type MapNode,
  type SchemaNode,
  type SectionNode,
} from './schema.js';
import { DEFAULT_ORIGIN, problemAt, type MapEntry, type Origin, type SourceNode } from './source.js';
import { nearest } from './suggest.js';
import {
  entriesOf,
  reportUnknownKeys,
  validateFields,
  validateMap,
  type Fallback,
  type ValidationContext,
} from './validate.js';
import type { Policy } from './types.js';

const POLICY_SECTION = CONFIG_SCHEMA.fields.policy as SectionNode;
const CUSTOM_FIELD = POLICY_SECTION.fields.custom as MapNode;
const NAME_FIELD = POLICY_SECTION.fields.name as SchemaNode;

const isPreset = (name: string): name is keyof typeof POLICY_PRESETS => Object.hasOwn(POLICY_PRESETS, name);

function unknownPolicyMessage(name: string, custom: readonly string[]): string {
  const known = [...PRESET_NAMES, ...custom];
  const near = nearest(name, known);
  return (
    `unknown policy ${JSON.stringify(name)}: must be a preset (${PRESET_NAMES.join(', ')})` +
    `${custom.length > 0 ? ` or one of policy.custom (${custom.join(', ')})` : ' or a name defined under policy.custom'}` +
    `${near === undefined ? '' : `; did you mean ${near}?`}`
  );
}

/**
 * The policy called `name`: a shipped preset or one of `custom`.
 * @throws ConfigError (CV_ERR_CONFIG_INVALID, key policy.name) when there is none.
 */
export function resolvePolicy(name: string, custom: Readonly<Record<string, Policy>> = {}): Policy {
  const policy = isPreset(name)
    ? POLICY_PRESETS[name]
    : Object.hasOwn(custom, name)
      ? custom[name]
      : undefined;
  if (policy === undefined) {
    throw new ConfigError('', '', [
      { key: 'policy.name', source: 'file', message: unknownPolicyMessage(name, Object.keys(custom)) },
    ]);
  }
  return policy;
}

function extendsFallback(node: SourceNode): Fallback {
  const ext = node.kind === 'map' ? node.entries.get('extends')?.node : undefined;
  const name = ext?.kind === 'scalar' ? ext.value : undefined;
  return typeof name === 'string' && isPreset(name)
    ? (POLICY_PRESETS[name] as unknown as Record<string, unknown>)
    : undefined;
}

/** Dotted names of the policy fields an entry sets (consent is listed per sub-key). */
function fieldsSet(entries: ReadonlyMap<string, MapEntry>, fields: SectionNode['fields']): string[] {
  const out: string[] = [];
  for (const [name, field] of Object.entries(fields)) {
    const entry = entries.get(name);
    if (entry === undefined) continue;
    if (field.kind === 'section' && entry.node.kind === 'map')
      out.push(...[...entry.node.entries.keys()].map((k) => `${name}.${k}`));
    else out.push(name);
  }
  return out;
}

function checkConsent(policy: Policy, path: string, ctx: ValidationContext, fallbackOrigin: Origin): void {
  const { consent } = policy;
  const originOf = (key: string): Origin => ctx.origins.get(`${path}.consent.${key}`) ?? fallbackOrigin;
  // The recorder destroys a declined call's container with its key; keeping a record of it
  // without audio is not built, so a policy asking for it is refused rather than ignored.
  if (consent.on_decline !== 'discard')
    ctx.problems.push(
      problemAt(
        `${path}.consent.on_decline`,
        originOf('on_decline'),
        `${consent.on_decline} is not supported by this version: a declined call keeps nothing (use discard)`,
      ),
    );
  if (consent.mode !== 'dtmf') return;
  for (const key of ['accept_digit', 'decline_digit'] as const) {
    if (consent[key] === null)
      ctx.problems.push(
        problemAt(`${path}.consent.${key}`, originOf(key), 'is required when consent.mode is dtmf'),
      );
  }
  if (consent.accept_digit !== null && consent.accept_digit === consent.decline_digit) {
    ctx.problems.push(
      problemAt(
        `${path}.consent.decline_digit`,
        originOf('decline_digit'),
        `must differ from consent.accept_digit, got ${JSON.stringify(consent.decline_digit)}`,
      ),
    );
  }
}

export interface PolicySection {
  /** undefined when the section has problems (already reported). */
  readonly policy: Policy | undefined;
  readonly policies: Readonly<Record<string, Policy>>;
}

export function validatePolicySection(
  entry: MapEntry | undefined,
  ctx: ValidationContext,
  file: string,
): PolicySection {
  const entries = entriesOf(entry?.node, 'policy', ctx);
  const sectionOrigin = entry?.keyOrigin ?? DEFAULT_ORIGIN;
  reportUnknownKeys(POLICY_SECTION.fields, entries, 'policy', ctx);

  const custom: Record<string, Policy> = {};
  const customEntries = entriesOf(entries.get('custom')?.node, 'policy.custom', ctx);
  for (const [name, values] of Object.entries(
    validateMap(CUSTOM_FIELD, entries.get('custom')?.node, 'policy.custom', ctx, extendsFallback),
  )) {
    const path = `policy.custom.${name}`;
    const keyOrigin = customEntries.get(name)?.keyOrigin ?? sectionOrigin;
    if (isPreset(name)) {
      ctx.problems.push(
        problemAt(
          path,
          keyOrigin,
          `shadows the shipped preset ${JSON.stringify(name)}: choose another name and use extends: ${name}`,
        ),
      );
      continue;
    }
    if (!Object.keys(CUSTOM_POLICY.fields).every((k) => k === 'extends' || Object.hasOwn(values, k)))
      continue;
    const { extends: base, ...fields } = values;
    const policy = {
      ...(fields as unknown as Omit<Policy, 'name' | 'source' | 'overridden'>),
      name,
      source: `${file}: ${path}${typeof base === 'string' ? ` (extends ${base}: ${POLICY_PRESETS[base as keyof typeof POLICY_PRESETS].source})` : ''}`,
      overridden: [],
    } satisfies Policy;
    checkConsent(policy, path, ctx, keyOrigin);
    custom[name] = policy;
  }
  const policies: Readonly<Record<string, Policy>> = deepFreeze({ ...POLICY_PRESETS, ...custom });

  const { name } = validateFields({ name: NAME_FIELD }, entries, 'policy', ctx, undefined, sectionOrigin);
  let base: Policy | undefined;
  if (typeof name === 'string') {
    base = Object.hasOwn(policies, name) ? policies[name] : undefined;
    if (base === undefined && !customEntries.has(name)) {
      ctx.problems.push(
        problemAt(
          'policy.name',
          ctx.origins.get('policy.name') ?? sectionOrigin,
          unknownPolicyMessage(name, Object.keys(custom)),
        ),
      );
    }
  }
  const before = ctx.problems.length;
  const overrides = validateFields(
    POLICY_FIELDS.fields,
    entries,
    'policy',
    ctx,
    base === undefined ? 'present-only' : (base as unknown as Record<string, unknown>),
    sectionOrigin,
  );
  if (base === undefined || ctx.problems.length > before) return { policy: undefined, policies };
  const policy: Policy = {
    ...base,
    ...(overrides as Partial<Policy>),
    name: base.name,
    source: base.source,
    overridden: fieldsSet(entries, POLICY_FIELDS.fields),
  };
  checkConsent(policy, 'policy', ctx, sectionOrigin);
  return { policy, policies };
}
