#!/usr/bin/env node
// Launcher for the `3rc` CLI: loads tsx's ESM hooks, then runs the TypeScript entry point.
// Paths resolve from this file's real location, so it works from a clone, `npm link`, or an install.
import { register } from 'tsx/esm/api';

register();
const { main } = await import(new URL('../src/cli/main.ts', import.meta.url).href);
process.exitCode = await main(process.argv);
