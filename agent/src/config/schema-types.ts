/**
 * The vocabulary of the config schema: one node kind per value shape. The schema itself is
 * plain data built from these (schema.ts, policy-schema.ts).
 */

/** Marks a key that has no default: the file (or a policy it extends) must give it. */
export const REQUIRED = Symbol('required');
export type Default<T> = T | typeof REQUIRED;

interface Doc {
  /** One or two sentences for the example file; the why, the unit, the effect. */
  readonly doc: string;
}

export interface IntNode extends Doc {
  readonly kind: 'int';
  readonly min: number;
  readonly max: number;
  readonly unit?: string;
  /** An empty value (or `off`) means null, e.g. "not used". */
  readonly nullable?: boolean;
  readonly default: Default<number | null>;
}
export interface BytesNode extends Doc {
  readonly kind: 'bytes';
  readonly min: number;
  readonly default: Default<number | string>;
}
export interface BoolNode extends Doc {
  readonly kind: 'bool';
  /** A value the key is pinned to, with the reason shown when it is not. */
  readonly mustBe?: { readonly value: boolean; readonly why: string };
  readonly default: Default<boolean>;
}
export interface EnumNode extends Doc {
  readonly kind: 'enum';
  readonly values: readonly string[];
  readonly nullable?: boolean;
  readonly default: Default<string | null>;
}
export interface StringNode extends Doc {
  readonly kind: 'string';
  readonly pattern: RegExp;
  /** Completes "must be …" in messages. */
  readonly expect: string;
  /** An empty value or `off` means null. */
  readonly nullable?: boolean;
  readonly default: Default<string | null>;
}
export interface PathNode extends Doc {
  readonly kind: 'path';
  readonly nullable: boolean;
  /** Shown in the example when the default is computed (null here). */
  readonly defaultDoc?: string;
  readonly default: Default<string | null>;
}
export interface ListenNode extends Doc {
  readonly kind: 'listen';
  readonly default: string;
}
export interface PortRangeNode extends Doc {
  readonly kind: 'port_range';
  readonly default: string;
}
export interface CidrListNode extends Doc {
  readonly kind: 'cidr_list';
  readonly default: readonly string[];
}
export interface StringListNode extends Doc {
  readonly kind: 'string_list';
  readonly default: Default<readonly string[]>;
}
export interface SectionNode extends Doc {
  readonly kind: 'section';
  readonly fields: Readonly<Record<string, SchemaNode>>;
}
/** A mapping of user-chosen names to sections (policy.custom.<name>). */
export interface MapNode extends Doc {
  readonly kind: 'map';
  readonly keyPattern: RegExp;
  readonly keyExpect: string;
  readonly of: SectionNode;
}

export type LeafNode =
  | IntNode
  | BytesNode
  | BoolNode
  | EnumNode
  | StringNode
  | PathNode
  | ListenNode
  | PortRangeNode
  | CidrListNode
  | StringListNode;
export type SchemaNode = LeafNode | SectionNode | MapNode;

export const section = (doc: string, fields: Record<string, SchemaNode>): SectionNode => ({
  kind: 'section',
  doc,
  fields,
});
