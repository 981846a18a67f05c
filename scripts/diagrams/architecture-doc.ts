/**
 * The generated parts of docs/architecture.md, each between its markers:
 *   <!-- generated:NAME begin (npm run docs:diagrams) --> ... <!-- generated:NAME end -->
 * Text outside the markers is written by people and kept as is.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ladderDiagram, rungTable } from './ladder.js';
import { stateDiagram, transitionTable } from './state-machine.js';

export const ARCHITECTURE_DOC = fileURLToPath(new URL('../../docs/architecture.md', import.meta.url));
export const REFRESH_COMMAND = 'npm run docs:diagrams';

const fence = (body: string) => `\`\`\`mermaid\n${body}\n\`\`\``;

export function generatedSections(): Record<string, string> {
  return {
    'state-machine': fence(stateDiagram()),
    transitions: transitionTable(),
    ladders: fence(ladderDiagram()),
    rungs: rungTable(),
  };
}

const begin = (name: string) => `<!-- generated:${name} begin (${REFRESH_COMMAND}) -->`;
const end = (name: string) => `<!-- generated:${name} end -->`;

/** `doc` with every generated section replaced; a section whose markers are missing is an error. */
export function regenerate(doc: string, sections: Record<string, string> = generatedSections()): string {
  let out = doc;
  for (const [name, body] of Object.entries(sections)) {
    const from = out.indexOf(begin(name));
    const to = out.indexOf(end(name));
    if (from < 0 || to < from) throw new Error(`docs/architecture.md: the markers of section "${name}" are missing: ${begin(name)} ... ${end(name)}`);
    out = `${out.slice(0, from)}${begin(name)}\n${body}\n${out.slice(to)}`;
  }
  return out;
}

export function readArchitectureDoc(): string {
  return readFileSync(ARCHITECTURE_DOC, 'utf8');
}
