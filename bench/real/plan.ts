/**
 * The injections of a `--real` run: the sim bench's own seeded plan (runner.ts: the class deck
 * from the mix, one random stream per injection), walked in order, keeping the first N the lab
 * can express. The class, its variant and its fault script come from the plan; the target is a
 * host or VM of the lab (the sim bench's rack is larger), picked with the injection's own stream.
 */
import { Random } from '../../src/env/sim/index.js';
import { CLASS_NAMES, crashClass, type ClassName } from '../classes.js';
import { injectionDeck, type Mix } from '../runner.js';
import { labTopology, type LabTopology } from '../../test/lab/real-lab/topology.js';
import { COVERED, SKIPPED, skippedVariant } from './lab-config.js';
import type { Injection } from './episode.js';

export interface RealPlan {
  injections: Injection[];
  /** Deck positions looked at (the prefix of the sim plan the N injections come from). */
  scanned: number;
  deckSize: number;
  /** Per class: injections of the scanned prefix left out, and why. */
  skipped: Array<{ name: ClassName; count: number; reason: string }>;
  skippedVariants: Array<{ index: number; name: ClassName; variant: string; reason: string }>;
}

/** Hosts or VMs of the lab for this injection: the same algorithm as the sim bench's pick. */
function pickTargets(topology: LabTopology, kind: 'vm' | 'host', count: number, random: Random): string[] {
  if (kind === 'vm') return [random.pick(topology.vms.map((v) => v.name).sort())];
  const candidates = topology.hosts.filter((h) => h.role === 'primary' && topology.vms.some((v) => v.home === h.name)).map((h) => h.name).sort();
  const chosen: string[] = [];
  const take = Math.min(count, candidates.length);
  for (let i = 0; i < take; i++) {
    const j = Math.floor(random.next() * candidates.length);
    chosen.push(candidates.splice(j, 1)[0]!);
  }
  return chosen.sort();
}

export function drawRealPlan(opts: { n: number; seed: number | string; mix: Mix; deckSize: number }): RealPlan {
  const root = new Random(`3rc-bench/${opts.seed}`);
  const deck = injectionDeck(opts.mix, opts.deckSize, root.fork('deck'));
  const plans = root.fork('plans');
  const injections: Injection[] = [];
  const skippedCount = new Map<ClassName, number>();
  const skippedVariants: RealPlan['skippedVariants'] = [];
  let scanned = 0;
  for (let index = 0; index < deck.length && injections.length < opts.n; index++) {
    scanned = index + 1;
    const name = deck[index]!;
    if (COVERED[name] === undefined) {
      skippedCount.set(name, (skippedCount.get(name) ?? 0) + 1);
      continue;
    }
    const cls = crashClass(name);
    if (cls.target === 'controller') continue; // never covered (lab-config.ts SKIPPED)
    // The same stream the sim bench uses for this injection (runner.ts: plans.fork(`injection-${i}`)).
    const random = plans.fork(`injection-${index}`);
    const count = cls.hosts?.(random) ?? 1;
    const topology = labTopology(cls.target === 'host' ? count : 2);
    const targets = pickTargets(topology, cls.target, count, random);
    const plan = cls.plan(random, targets);
    const why = skippedVariant(name, plan.variant);
    if (why !== null) {
      skippedVariants.push({ index, name, variant: plan.variant, reason: why });
      continue;
    }
    injections.push({ index, cls: name, variant: plan.variant, targets, steps: plan.steps, topology });
  }
  const skipped = CLASS_NAMES.filter((c) => COVERED[c] === undefined).map((name) => ({
    name,
    count: skippedCount.get(name) ?? 0,
    reason: SKIPPED[name] ?? 'not expressible in the real lab',
  }));
  return { injections, scanned, deckSize: deck.length, skipped, skippedVariants };
}
