import { expect } from 'vitest';
import type { ContainerResolver } from '../../../src/policy/resolver.ts';
import { filterInspect } from '../../../src/transforms/inspect.ts';
import { filterInspectText } from '../../../src/transforms/inspect-text.ts';

/** What one path made of an answer: hidden, or the text it sends. */
export type PathResult = { hidden: true } | { hidden: false; text: string };

/** The full JSON path (parse, filterInspect, stringify), as respond.ts runs it. */
export async function jsonPath(
  text: string,
  resolver: ContainerResolver,
  scrubEnvs: boolean,
): Promise<PathResult | 'not json'> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'not json';
  }
  const outcome = await filterInspect(body, resolver, scrubEnvs);
  return outcome.visible ? { hidden: false, text: JSON.stringify(outcome.body) } : { hidden: true };
}

/**
 * Runs both paths on one answer, each with its own fresh resolver (no cache shared between them), and
 * asserts the text path agrees: the same verdict, JSON-equal text, byte-equal where the JSON path
 * gives the answer back as it came (`JSON.stringify(JSON.parse(text)) === text`). Returns `text` when
 * the text path took the answer on, `json` when it left valid JSON to the JSON path, `invalid` for
 * text that is no JSON (asserted left alone).
 */
export async function expectSamePaths(
  text: string,
  fresh: () => ContainerResolver,
  scrubEnvs: boolean,
): Promise<'text' | 'json' | 'invalid'> {
  const viaJson = await jsonPath(text, fresh(), scrubEnvs);
  const viaText = await filterInspectText(text, fresh(), scrubEnvs);
  if (viaJson === 'not json') {
    // Invalid JSON is never taken on: the JSON path answers 502 for it.
    expect(viaText).toBeNull();
    return 'invalid';
  }
  if (viaText === null) return 'json';
  if (viaJson.hidden) {
    expect(viaText).toEqual({ visible: false });
    return 'text';
  }
  expect(viaText.visible).toBe(true);
  if (!viaText.visible) return 'text';
  expect(JSON.parse(viaText.text)).toStrictEqual(JSON.parse(viaJson.text));
  let stable = false;
  try {
    stable = JSON.stringify(JSON.parse(text)) === text;
  } catch {}
  if (stable) expect(viaText.text).toBe(viaJson.text);
  return 'text';
}
