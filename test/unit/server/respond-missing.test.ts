import { describe, expect, it } from 'vitest';
import { missingRef } from '../../../src/policy/missing.ts';
import { missingAnswer } from '../../../src/server/respond-missing.ts';

const HIDDEN = 'a'.repeat(64);
const VISIBLE = 'b'.repeat(64);
const isVisibleId = async (id: string) => id === VISIBLE;

/** An upstream answer head as Node parses it. */
function head(status: number, fields: string[]) {
  const headers: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2)
    headers[(fields[i] as string).toLowerCase()] = fields[i + 1] as string;
  return { statusCode: status, rawHeaders: fields, headers };
}

describe('missingAnswer: the one rewrite of the daemon answer about a sentinel (plain and upgrade paths)', () => {
  const ref = missingRef('web');
  const text = `{"message":"No such container: ${ref.sentinel}"}\n`;

  it('puts back what the client typed and fits Content-Length, keeping the fields in order', async () => {
    const answer = await missingAnswer(
      head(404, [
        'Api-Version',
        '1.47',
        'Content-Type',
        'application/json',
        'Content-Length',
        String(text.length),
      ]),
      text,
      [ref],
      'POST',
      isVisibleId,
    );
    const body = '{"message":"No such container: web"}\n';
    expect(answer).toEqual({
      status: 404,
      fields: [
        'Api-Version',
        '1.47',
        'Content-Type',
        'application/json',
        'Content-Length',
        String(body.length),
      ],
      body,
      closeDelimited: false,
    });
  });

  it('cuts the id of a container the client may not see, and keeps a visible one (the upgrade path did not)', async () => {
    const conflict = `{"message":"Conflict. ${HIDDEN} and ${VISIBLE} for ${ref.sentinel}"}`;
    const answer = await missingAnswer(
      head(409, ['Content-Type', 'application/json']),
      conflict,
      [ref],
      'POST',
      isVisibleId,
    );
    expect(answer.body).toBe(`{"message":"Conflict. <hidden> and ${VISIBLE} for web"}`);
    expect(answer.closeDelimited).toBe(true);
  });

  it('drops hop-by-hop fields, and gives a HEAD answer the length of the body it does not send', async () => {
    const answer = await missingAnswer(
      head(404, ['Connection', 'close', 'Keep-Alive', 'timeout=5', 'Content-Length', String(text.length)]),
      '',
      [ref],
      'HEAD',
      isVisibleId,
    );
    expect(answer.fields).toEqual([
      'Content-Length',
      String(text.length - ref.sentinel.length + 'web'.length),
    ]);
    expect(answer.body).toBeUndefined();
  });
});
