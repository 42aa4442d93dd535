import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DOC_BEGIN, DOC_END, renderRoutesDoc, withRoutesDoc } from '../../../src/routes/routes-doc.ts';
import { ROUTES, TABLE } from '../../../src/routes/table.ts';

describe('docs/routes.md is generated from the route table', () => {
  it('its route table and permission groups are those of src/routes/table.ts (else: npm run docs:routes)', async () => {
    const doc = await readFile(new URL('../../../docs/routes.md', import.meta.url), 'utf8');
    expect(
      withRoutesDoc(doc, renderRoutesDoc(TABLE)),
      'docs/routes.md is stale: run npm run docs:routes',
    ).toBe(doc);
  });

  it('lists every row once, and each group with its templates', () => {
    const text = renderRoutesDoc(TABLE);
    const rows = text.split('\n').filter((l) => /^\| (GET|HEAD|POST|PUT|DELETE) \|/.test(l));
    expect(rows).toHaveLength(ROUTES.length);
    expect(text).toContain('| `logs` | `GET /containers/{id}/logs` |');
    expect(text).toContain(
      '| DELETE | `/containers/{id}/{alias}` | `containerLink` with `link=1`, else `refused` |',
    );
  });

  it('a document without the markers is an error, not a silent rewrite', () => {
    expect(() => withRoutesDoc('# Routes\n', renderRoutesDoc(TABLE))).toThrow(DOC_BEGIN);
    expect(withRoutesDoc(`a\n${DOC_BEGIN}\nold\n${DOC_END}\nb`, 'new')).toBe('a\nnew\nb');
  });
});
