#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { missingNodeFlags } from './server/banner.ts';

// The `dockscope` command (package.json `bin`, and on the image's PATH). A shebang cannot portably pass
// node the V8 flags of `npm start` (docs/operations.md#memory), so the command replaces itself, same
// pid, with node started with them: signals and exit codes stay the process's own, and no second
// Node process stands between the user and dockscope.
const missing = missingNodeFlags(process.execArgv, process.env.NODE_OPTIONS);
if (missing.length > 0 && typeof process.execve === 'function') {
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  process.execve(
    process.execPath,
    [process.execPath, ...process.execArgv, ...missing, main, ...process.argv.slice(2)],
    process.env,
  );
}
// Without execve (Node before 22.15, Windows) dockscope runs as is and its banner warns of the flags.
await import('./main.ts');
