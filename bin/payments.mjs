#!/usr/bin/env node
// `npx payments <command>`: the operator's CLI (bin/cli/main.ts), run with tsx so no build step is needed.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
