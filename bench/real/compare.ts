/**
 * Comparing the controller's path in the real lab with its path in the simulator: per incident
 * (target, signature, entry rung, every action with its outcome, how it ended), every target's
 * final phase, and where every VM runs at the end. Nothing is normalised away: a field that
 * differs is a disagreement, reported with both values.
 */
import type { IncidentPath, SidePath, SideResult } from './episode.js';

export function incidentLine(i: IncidentPath): string {
  const actions = i.actions.map((a) => `${a.kind} ${a.outcome}`).join(', ') || 'no action';
  return `${i.target} ${i.signature} @rung ${i.entryRung}: ${actions} -> ${i.state}`;
}

/** The path as lines (the Markdown report prints these side by side). */
export function pathLines(p: SidePath): string[] {
  const lines = p.incidents.map(incidentLine);
  if (lines.length === 0) lines.push('no incident');
  const notHealthy = Object.entries(p.finalPhases).filter(([, ph]) => ph !== 'healthy');
  lines.push(`final: ${notHealthy.length === 0 ? 'all healthy' : notHealthy.map(([t, ph]) => `${t} ${ph}`).join(', ')}`);
  lines.push(`placement: ${Object.entries(p.placement).map(([vm, h]) => `${vm}@${h}`).join(' ')}`);
  return lines;
}

/** Differences between the two sides; empty when they agree. */
export function compareSides(real: SideResult, sim: SideResult): string[] {
  const out: string[] = [];
  if (real.error) out.push(`real side failed: ${real.error}`);
  if (sim.error) out.push(`sim side failed: ${sim.error}`);
  for (const p of real.problems) out.push(`real lab: ${p}`);
  if (real.completed !== sim.completed) {
    out.push(`real ${real.completed ? 'recovered' : 'did not recover'} within the limit, sim ${sim.completed ? 'recovered' : 'did not'}`);
  }
  const targets = [...new Set([...real.path.incidents, ...sim.path.incidents].map((i) => i.target))].sort();
  for (const t of targets) {
    const r = real.path.incidents.filter((i) => i.target === t);
    const s = sim.path.incidents.filter((i) => i.target === t);
    for (let k = 0; k < Math.max(r.length, s.length); k++) {
      const a = r[k];
      const b = s[k];
      if (!a || !b) {
        out.push(`${t}: incident ${k + 1} only ${a ? 'in the real lab' : 'in the sim'}: ${incidentLine((a ?? b)!)}`);
        continue;
      }
      if (a.signature !== b.signature) out.push(`${t}: signature real ${a.signature}, sim ${b.signature}`);
      if (a.entryRung !== b.entryRung) out.push(`${t}: entry rung real ${a.entryRung}, sim ${b.entryRung}`);
      const ra = a.actions.map((x) => `${x.kind} ${x.outcome}`).join(', ');
      const sa = b.actions.map((x) => `${x.kind} ${x.outcome}`).join(', ');
      if (ra !== sa) out.push(`${t}: actions real [${ra}], sim [${sa}]`);
      if (a.state !== b.state) out.push(`${t}: incident ended real ${a.state}, sim ${b.state}`);
    }
  }
  const ids = [...new Set([...Object.keys(real.path.finalPhases), ...Object.keys(sim.path.finalPhases)])].sort();
  for (const id of ids) {
    const a = real.path.finalPhases[id];
    const b = sim.path.finalPhases[id];
    if (a !== b) out.push(`${id}: final phase real ${a ?? '-'}, sim ${b ?? '-'}`);
  }
  const vms = [...new Set([...Object.keys(real.path.placement), ...Object.keys(sim.path.placement)])].sort();
  for (const vm of vms) {
    const a = real.path.placement[vm];
    const b = sim.path.placement[vm];
    if (a !== b) out.push(`${vm}: placed on ${a ?? '-'} in the real lab, ${b ?? '-'} in the sim`);
  }
  return out;
}
