#!/usr/bin/env node
// Runs bin/bifrost.ts through tsx, so `npx bifrost` works without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./bifrost.ts');
process.exitCode = await main(process.argv.slice(2), process.env);
