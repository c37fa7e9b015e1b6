#!/usr/bin/env node
// `idp` command-line tool. Node 24 runs the TypeScript sources directly (type stripping), so there is no build
// step between editing src/ and using the CLI.
import { run } from '../src/cli/main.ts';

const status = await run(process.argv.slice(2));
process.exitCode = status;
// Everything is closed by now; should a stray handle linger, a finished command still must not hang a script.
setTimeout(() => process.exit(status), 3000).unref();
