import { readFile, writeFile } from 'node:fs/promises';
import { renderRoutesDoc, withRoutesDoc } from '../src/routes/routes-doc.ts';
import { TABLE } from '../src/routes/table.ts';

/** `npm run docs:routes`: writes docs/routes.md's route table and permission groups from the table. */
const file = new URL('../docs/routes.md', import.meta.url);
const before = await readFile(file, 'utf8');
const after = withRoutesDoc(before, renderRoutesDoc(TABLE));
if (after !== before) await writeFile(file, after);
process.stdout.write(after === before ? 'docs/routes.md is up to date\n' : 'docs/routes.md written\n');
