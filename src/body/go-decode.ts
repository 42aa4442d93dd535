import type { JsonNode } from './json-ast.ts';
import { serializeAst } from './json-ast.ts';

/**
 * Decodes a JSON body the way the daemon's Go `encoding/json` decodes it into its own types, and
 * returns exactly what dockscope judges and forwards: an object with the canonical field names.
 *
 * Go matches an object key to a struct field by exact name first, then case-insensitively with Unicode
 * folding (so `pidmode`, `PIDMODE` and `ſ`/`K` spellings land on `PidMode`), lets a later key win over
 * an earlier one, and merges a second object into the first. dockscope does not try to reproduce the
 * merge: a body in which two keys land on the same field is refused. A key that is no field of the
 * daemon's type is ignored by Go, and dropped here (issue #20) when the upstream's API version is one
 * the type table covers: the forwarded body is the serialisation of the decoded value, never the
 * client's bytes, so a dropped key reaches no daemon. For an upstream the table does not cover, such a
 * key may be a field that daemon reads, and it is refused (see body-rules.ts).
 */
export type Schema =
  | { readonly kind: 'struct'; readonly name: string; readonly fields: Readonly<Record<string, Schema>> }
  | { readonly kind: 'map'; readonly value: Schema }
  | { readonly kind: 'array'; readonly item: Schema }
  | { readonly kind: 'string' }
  | { readonly kind: 'bool' }
  /** strslice.StrSlice (`CapAdd`, `Cmd`): a list of strings, or one string meaning a list of one. */
  | { readonly kind: 'strSlice' }
  /** Not judged: passed on as sent (exact duplicate keys inside are still refused). */
  | { readonly kind: 'any' };

/** A decoded value: plain data (objects without a prototype, so a `__proto__` key is just a key). */
export type Decoded = string | boolean | null | RawJson | Decoded[] | DecodedObject;
export interface DecodedObject {
  [key: string]: Decoded;
}

/** A subtree dockscope does not judge, forwarded as parsed. */
export class RawJson {
  readonly node: JsonNode;
  constructor(node: JsonNode) {
    this.node = node;
  }
}

export class BodyError extends Error {
  override readonly name = 'BodyError';
}

/**
 * What a key that is no field of the type does: `drop` (what the daemon's decoder does, for an upstream
 * whose every field is in the table), or a refusal whose words say why the key cannot be judged.
 */
export type UnknownFields = { readonly kind: 'drop' } | { readonly kind: 'refuse'; readonly because: string };
export const DROP_UNKNOWN: UnknownFields = { kind: 'drop' };

export const any: Schema = { kind: 'any' };
export const string: Schema = { kind: 'string' };
export const bool: Schema = { kind: 'bool' };
export const strSlice: Schema = { kind: 'strSlice' };
export const arrayOf = (item: Schema): Schema => ({ kind: 'array', item });
export const mapOf = (value: Schema): Schema => ({ kind: 'map', value });
export type StructSchema = Extract<Schema, { kind: 'struct' }>;
export function struct(name: string, fields: Readonly<Record<string, Schema>>): StructSchema {
  return { kind: 'struct', name, fields };
}

/**
 * Go folds a key to compare it with a field name: ASCII letters case-insensitively, and the non-ASCII
 * letters whose case mapping is an ASCII letter. `ſ` (U+017F) and `K` (U+212A) match since Go 1.x's
 * EqualFold; `ı` (U+0131) and `İ` (U+0130) since Go 1.21's foldName (ToUpper(ToLower(r))). dockscope
 * folds the union of both, so a key any daemon build would match is matched here too.
 */
const FOLD_TO_ASCII: Readonly<Record<string, string>> = { ſ: 'S', K: 'K', ı: 'I', İ: 'I' };

export function foldKey(key: string): string {
  let out = '';
  for (const ch of key) {
    const code = ch.charCodeAt(0);
    if (code < 0x80) out += code >= 0x61 && code <= 0x7a ? String.fromCharCode(code - 0x20) : ch;
    else out += FOLD_TO_ASCII[ch] ?? ch;
  }
  return out;
}

const foldIndexes = new WeakMap<object, Map<string, string>>();

function foldIndex(fields: Readonly<Record<string, Schema>>): Map<string, string> {
  let index = foldIndexes.get(fields);
  if (!index) {
    index = new Map();
    for (const name of Object.keys(fields)) index.set(foldKey(name), name);
    foldIndexes.set(fields, index);
  }
  return index;
}

/** The struct field a key lands on, as Go finds it: exact name first, then by folding. */
export function fieldFor(fields: Readonly<Record<string, Schema>>, key: string): string | undefined {
  return Object.hasOwn(fields, key) ? key : foldIndex(fields).get(foldKey(key));
}

/** Decodes a parsed body against the daemon's type. `where` names the body in error messages. */
export function decodeAs(node: JsonNode, schema: Schema, where: string, unknown: UnknownFields): Decoded {
  const decode = (node: JsonNode, schema: Schema, path: string): Decoded =>
    decodeNode(node, schema, path, unknown, decode);
  return decode(node, schema, where);
}

type Recurse = (node: JsonNode, schema: Schema, path: string) => Decoded;

function decodeNode(
  node: JsonNode,
  schema: Schema,
  path: string,
  unknown: UnknownFields,
  decode: Recurse,
): Decoded {
  switch (schema.kind) {
    case 'any':
      checkExactDuplicates(node, path);
      return new RawJson(node);
    case 'string':
      if (node.type !== 'string') throw new BodyError(`${path} must be a string`);
      return node.value;
    case 'bool':
      if (node.type !== 'boolean') throw new BodyError(`${path} must be true or false`);
      return node.value;
    case 'strSlice': {
      if (node.type === 'null') return null;
      if (node.type === 'string') return [node.value];
      if (node.type !== 'array') throw new BodyError(`${path} must be a string or an array of strings`);
      return node.items.map((item, i) => decode(item, string, `${path}[${i}]`));
    }
    case 'array': {
      if (node.type === 'null') return null;
      if (node.type !== 'array') throw new BodyError(`${path} must be an array`);
      return node.items.map((item, i) => decode(item, schema.item, `${path}[${i}]`));
    }
    case 'map': {
      if (node.type === 'null') return null;
      if (node.type !== 'object') throw new BodyError(`${path} must be an object`);
      const out = newObject();
      for (const { key, value } of node.entries) {
        if (Object.hasOwn(out, key)) throw new BodyError(`${path} has the key ${JSON.stringify(key)} twice`);
        out[key] = decode(value, schema.value, `${path}[${JSON.stringify(key)}]`);
      }
      return out;
    }
    case 'struct': {
      if (node.type === 'null') return null;
      if (node.type !== 'object') throw new BodyError(`${path} must be an object`);
      const out = newObject();
      const spelled = new Map<string, string>();
      for (const { key, value } of node.entries) {
        const field = fieldFor(schema.fields, key);
        if (field === undefined) {
          // Go skips the value of a key it has no field for (after checking that it is JSON).
          if (unknown.kind === 'drop') continue;
          throw new BodyError(
            `${path} has the field ${JSON.stringify(key)}, which ${schema.name} does not have${unknown.because}`,
          );
        }
        const earlier = spelled.get(field);
        if (earlier !== undefined) {
          throw new BodyError(
            `${path} gives ${field} twice (as ${JSON.stringify(earlier)} and ${JSON.stringify(key)}); the daemon would merge them`,
          );
        }
        spelled.set(field, key);
        const fieldSchema = schema.fields[field] ?? any;
        // null leaves a Go field at its zero value or nil: the same as not sending it.
        if (value.type === 'null') continue;
        out[field] = decode(value, fieldSchema, `${path}.${field}`);
      }
      return out;
    }
  }
}

/** A decoded object (a struct or a map): not a list, not a subtree passed on as parsed. */
export function isDecodedObject(value: Decoded | undefined): value is DecodedObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.getPrototypeOf(value) === null
  );
}

export function newObject(): DecodedObject {
  return Object.create(null) as DecodedObject;
}

function checkExactDuplicates(node: JsonNode, path: string): void {
  if (node.type === 'array') {
    for (const [i, item] of node.items.entries()) checkExactDuplicates(item, `${path}[${i}]`);
  }
  if (node.type !== 'object') return;
  const seen = new Set<string>();
  for (const { key, value } of node.entries) {
    if (seen.has(key)) throw new BodyError(`${path} has the key ${JSON.stringify(key)} twice`);
    seen.add(key);
    checkExactDuplicates(value, `${path}.${key}`);
  }
}

/** The canonical serialisation of a decoded value: what is forwarded upstream. */
export function serializeDecoded(value: Decoded): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof RawJson) return serializeAst(value.node);
  if (Array.isArray(value)) return `[${value.map(serializeDecoded).join(',')}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${JSON.stringify(k)}:${serializeDecoded(v)}`)
    .join(',')}}`;
}
