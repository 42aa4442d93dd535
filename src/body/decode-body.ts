import { errors } from '../errors.ts';
import type { BodyRules } from './body-rules.ts';
import { STRICT_BODY_RULES } from './body-rules.ts';
import { CONTAINER_CREATE_EMBEDDED, isTopLevelHostKey, mergeTopLevelHostConfig } from './create-wrapper.ts';
import { CONTAINER_CREATE } from './daemon-types.ts';
import type { DecodedObject, Schema } from './go-decode.ts';
import { BodyError, decodeAs, fieldFor } from './go-decode.ts';
import { JsonLimitError, JsonSyntaxError, parseJsonAst } from './json-ast.ts';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Request bytes as text; bytes that are not UTF-8 are refused (Go and Node would repair them differently). */
export function bodyText(bytes: Buffer): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw errors.badRequest('the request body is not valid UTF-8');
  }
}

/**
 * Decodes a request body as the daemon will (see go-decode.ts) into the canonical object dockscope
 * judges and forwards. Anything it cannot read with certainty is a 400 that says what to fix. `rules`
 * say what the upstream's version does with unknown keys and top-level HostConfig fields
 * (body-rules.ts); without them both are refused.
 */
export function decodeBody(
  text: string,
  schema: Schema,
  rules: BodyRules = STRICT_BODY_RULES,
): DecodedObject {
  const where = schema.kind === 'struct' ? schema.name : 'the request body';
  let node: ReturnType<typeof parseJsonAst>;
  try {
    node = parseJsonAst(text);
  } catch (error) {
    if (error instanceof JsonLimitError) throw errors.badRequest(`${where} has ${error.message}`);
    if (error instanceof JsonSyntaxError)
      throw errors.badRequest(`${where} is not valid JSON: ${error.message}`);
    throw error;
  }
  if (node.type !== 'object') throw errors.badRequest(`${where} must be a JSON object`);
  const create = schema === CONTAINER_CREATE ? rules.topLevelHostConfig : null;
  const hostKey = create === null ? undefined : node.entries.find(({ key }) => isTopLevelHostKey(key))?.key;
  if (create === 'refused' && hostKey !== undefined) {
    throw errors.badRequest(
      `${where} has the HostConfig field ${JSON.stringify(hostKey)} at its top level, which daemons up to API 1.45 read and later ones ignore, and the upstream's version is not known; put ${fieldFor(CONTAINER_CREATE_EMBEDDED.fields, hostKey)} inside "HostConfig"`,
    );
  }
  try {
    if (create === 'embedded') {
      const decoded = decodeAs(node, CONTAINER_CREATE_EMBEDDED, 'body', rules.unknown) as DecodedObject;
      return mergeTopLevelHostConfig(decoded, hostKey !== undefined);
    }
    return decodeAs(node, schema, 'body', rules.unknown) as DecodedObject;
  } catch (error) {
    if (error instanceof BodyError) throw errors.badRequest(`${where}: ${error.message}`);
    throw error;
  }
}
