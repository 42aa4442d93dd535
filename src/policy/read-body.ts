import type { BodyRules } from '../body/body-rules.ts';
import { bodyRulesFor } from '../body/body-rules.ts';
import { decodeBody } from '../body/decode-body.ts';
import type { DecodedObject, Schema } from '../body/go-decode.ts';
import type { DecideContext } from './forward.ts';

/** The body rules of the upstream this request goes to (its API version, asked once and remembered). */
export async function bodyRulesOf(ctx: Pick<DecideContext, 'resolver'>): Promise<BodyRules> {
  return bodyRulesFor(await ctx.resolver.daemon.apiVersion.get());
}

/** A request body decoded as the upstream's daemon decodes it (body/decode-body.ts). */
export async function decodeFor(
  ctx: Pick<DecideContext, 'resolver'>,
  text: string,
  schema: Schema,
): Promise<DecodedObject> {
  return decodeBody(text, schema, await bodyRulesOf(ctx));
}
