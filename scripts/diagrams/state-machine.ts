/**
 * The recovery machine as documentation, read from the machine itself (createRecoveryMachine's
 * resolved state nodes): a Mermaid state diagram and a transition table. Nothing here is written
 * by hand, so the docs follow every change of src/core/machine/.
 */
import { createRecoveryMachine } from '../../src/core/machine/recovery-machine.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';

/** The parts of XState's StateNode / TransitionDefinition read here (internal shapes, kept narrow). */
interface Node {
  id: string;
  key: string;
  type: string;
  states: Record<string, Node>;
  initial?: { target?: Node[] };
  transitions: Map<string, Transition[]>;
  always?: Transition[];
}
interface Transition {
  target?: Node[];
  guard?: unknown;
  actions?: unknown[];
  reenter?: boolean;
}

export interface Edge {
  /** Dotted path below the root ("recovering.acting"), or "*" for a transition of the root (any state). */
  from: string;
  to: string | null;
  event: string;
  guard: string | null;
  actions: string[];
  reenter: boolean;
}

const ROOT_ID = 'recovery';
const local = (n: Node) => n.id.slice(ROOT_ID.length + 1);

/** `and(['a', not('b')])` as "a and not b"; guards are named strings or XState's combinator functions. */
export function guardText(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && 'type' in guard) return String((guard as { type: unknown }).type);
  if (typeof guard === 'function') {
    const parts = ((guard as { guards?: unknown[] }).guards ?? []).map((g) => guardText(g) ?? '?');
    switch (guard.name) {
      case 'not':
        return `not ${parts[0]}`;
      case 'and':
        return parts.join(' and ');
      case 'or':
        return `(${parts.join(' or ')})`;
    }
  }
  return String(guard);
}

function actionText(a: unknown): string {
  if (typeof a === 'string') return a;
  if (typeof a === 'object' && a !== null && 'type' in a) return String((a as { type: unknown }).type);
  return typeof a === 'function' && a.name ? a.name : '?';
}

/** Every transition of the machine, in definition order (guard order matters: first match wins). */
export function machineEdges(): { edges: Edge[]; states: Node } {
  const root = createRecoveryMachine(DEFAULT_POLICY).root as unknown as Node;
  const edges: Edge[] = [];
  const visit = (n: Node) => {
    const from = n.id === ROOT_ID ? '*' : local(n);
    const add = (event: string, t: Transition) =>
      edges.push({
        from,
        to: t.target?.length ? local(t.target[0] as Node) : null,
        event,
        guard: guardText(t.guard),
        actions: (t.actions ?? []).map(actionText),
        reenter: t.reenter === true,
      });
    for (const [event, ts] of n.transitions) for (const t of ts) add(event, t);
    for (const t of n.always ?? []) add('(always)', t);
    for (const child of Object.values(n.states)) visit(child);
  };
  visit(root);
  return { edges, states: root };
}

const mermaidId = (path: string) => path.replace(/\./g, '_');

/** stateDiagram-v2: one arrow per (from, to, event), its guards joined; actions-only transitions left out. */
export function stateDiagram(): string {
  const { edges, states } = machineEdges();
  const lines = ['stateDiagram-v2'];
  const declare = (n: Node, indent: string) => {
    for (const child of Object.values(n.states)) {
      if (Object.keys(child.states).length === 0) continue;
      lines.push(`${indent}state ${child.key} {`);
      const first = child.initial?.target?.[0];
      if (first) lines.push(`${indent}  [*] --> ${mermaidId(local(first))}`);
      for (const grandchild of Object.values(child.states)) lines.push(`${indent}  ${mermaidId(local(grandchild))} : ${grandchild.key}`);
      lines.push(`${indent}}`);
    }
  };
  lines.push('  state "any state" as any');
  declare(states, '  ');
  const initial = states.initial?.target?.[0];
  if (initial) lines.push(`  [*] --> ${mermaidId(local(initial))}`);
  const arrows = new Map<string, { from: string; to: string; event: string; guards: string[] }>();
  for (const e of edges) {
    if (e.to === null) continue;
    const key = `${e.from}|${e.to}|${e.event}`;
    const arrow = arrows.get(key) ?? { from: e.from === '*' ? 'any' : mermaidId(e.from), to: mermaidId(e.to), event: e.event, guards: [] };
    arrow.guards.push(e.guard ?? 'otherwise');
    arrows.set(key, arrow);
  }
  for (const a of arrows.values()) lines.push(`  ${a.from} --> ${a.to} : ${a.event} [${a.guards.join(' | ')}]`);
  return lines.join('\n');
}

/** Markdown table: every transition in the order XState tries them. */
export function transitionTable(): string {
  const { edges } = machineEdges();
  const rows = edges.map((e) => {
    const to = e.to === null ? '(stays)' : e.reenter ? `${e.to} (re-entered)` : e.to;
    return `| ${e.from === '*' ? 'any state' : e.from} | ${e.event} | ${e.guard ?? '-'} | ${to} | ${e.actions.join(', ') || '-'} |`;
  });
  return ['| from | event | guard (first match wins) | to | actions |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}
