#!/usr/bin/env node
import { main } from './main.js';

// `gitml exp show | head`: a reader that went away is not an error.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });

// No top-level await: the bundle in dist/cli/ is CommonJS, which loads faster than ES modules on Node.
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
