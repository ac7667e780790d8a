#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader, so `npx saenggak` works straight from a clone
// without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../main/cli.ts');
await main(process.argv);
