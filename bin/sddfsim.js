#!/usr/bin/env node
// The sddfsim command. The simulator is TypeScript run as is: register the TypeScript loader
// (tsx), then load the command line and run it with the real process.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
