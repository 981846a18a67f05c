#!/usr/bin/env -S npx tsx
// Regenerates the diagrams and tables of docs/architecture.md from the machine definition and the
// rung table (scripts/diagrams/). `npm run docs:diagrams`; with --check, exits 1 if the doc is stale.
import { writeFileSync } from 'node:fs';
import { ARCHITECTURE_DOC, readArchitectureDoc, regenerate, REFRESH_COMMAND } from './diagrams/architecture-doc.js';

const current = readArchitectureDoc();
const fresh = regenerate(current);
if (process.argv.includes('--check')) {
  if (fresh !== current) {
    console.error(`${ARCHITECTURE_DOC} is out of date: run ${REFRESH_COMMAND}`);
    process.exit(1);
  }
  console.log(`${ARCHITECTURE_DOC} is up to date`);
} else if (fresh === current) {
  console.log(`${ARCHITECTURE_DOC}: unchanged`);
} else {
  writeFileSync(ARCHITECTURE_DOC, fresh);
  console.log(`${ARCHITECTURE_DOC}: diagrams regenerated`);
}
