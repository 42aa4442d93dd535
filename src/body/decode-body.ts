import { errors } from '../errors.ts';
import { CONTAINER_CREATE, TOP_LEVEL_HOST_CONFIG } from './daemon-types.ts';
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
 * judges and forwards. Anything it cannot read with certainty is a 400 that says what to fix.
 */
export function decodeBody(text: string, schema: Schema): DecodedObject {
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
  if (schema === CONTAINER_CREATE) {
    for (const { key } of node.entries) {
      const misplaced =
        fieldFor(CONTAINER_CREATE.fields, key) === undefined
          ? fieldFor(TOP_LEVEL_HOST_CONFIG, key)
          : undefined;
      if (misplaced !== undefined) {
        throw errors.badRequest(
          `${where} has the HostConfig field ${JSON.stringify(key)} at its top level, a deprecated form the daemon still reads; put ${misplaced} inside "HostConfig"`,
        );
      }
    }
  }
  try {
    return decodeAs(node, schema, 'body') as DecodedObject;
  } catch (error) {
    if (error instanceof BodyError) throw errors.badRequest(`${where}: ${error.message}`);
    throw error;
  }
}
