/**
 * The ladder as documentation, read from the rung table (src/core/rungs.ts) and the ladders derived
 * from it (src/core/ladder.ts): a Mermaid flowchart per ladder and the rung table itself.
 */
import {
  EVACUATE_THEN_QUARANTINE_LADDER,
  EVACUATE_THEN_REPAIR_LADDER,
  HOST_LADDER,
  HOST_REPAIR_LADDER,
  IN_PLACE_LADDER,
  vmLadder,
} from '../../src/core/ladder.js';
import { RUNG_TABLE, type RungNumber } from '../../src/core/rungs.js';

/** Each ladder the escalation policy can put an incident on, with when. */
export const LADDERS: ReadonlyArray<{ id: string; title: string; rungs: readonly RungNumber[] }> = [
  { id: 'vm', title: 'VM', rungs: vmLadder(true) },
  { id: 'host', title: 'host', rungs: HOST_LADDER },
  { id: 'evac', title: 'host with VMs aboard: evacuate, then repair', rungs: EVACUATE_THEN_REPAIR_LADDER },
  { id: 'repair', title: 'host after its VMs left', rungs: HOST_REPAIR_LADDER },
  { id: 'inplace', title: 'host whose VMs have nowhere to go: in place', rungs: IN_PLACE_LADDER },
  { id: 'flap', title: 'flapping host with VMs aboard', rungs: EVACUATE_THEN_QUARANTINE_LADDER },
];

export function ladderDiagram(): string {
  const lines = ['flowchart LR'];
  for (const l of LADDERS) {
    lines.push(`  subgraph ${l.id}["${l.title}"]`, '    direction LR');
    const node = (r: RungNumber) => {
      const def = RUNG_TABLE[r];
      // The word as well as the colour: readable without colour.
      return `${l.id}${r}["${r} ${def.name}${def.destructive ? '<br/>destructive' : ''}"]${def.destructive ? ':::destructive' : ''}`;
    };
    lines.push(`    ${l.rungs.map(node).join(' --> ')}`);
    lines.push('  end');
  }
  lines.push('  classDef destructive fill:#fde2e1,stroke:#b42318,stroke-width:2px');
  return lines.join('\n');
}

export function rungTable(): string {
  return [
    '| rung | name | targets | destructive (needs evidence) | what it does |',
    '| --- | --- | --- | --- | --- |',
    ...RUNG_TABLE.map((r) => `| ${r.number} | ${r.name} | ${r.kinds.join(', ')} | ${r.destructive ? 'yes' : 'no'} | ${r.summary} |`),
  ].join('\n');
}
