/**
 * The demo lab's crash injector: every so often it breaks one healthy target of the simulated rack,
 * so an operator can watch detection and recovery in the logs, `3rc status` and the API.
 */
import type { Controller } from '../controller/index.js';
import type { Clock, Logger } from '../env/env.js';
import { applyFaultLine, createRandom, type World } from '../env/sim/index.js';

/** Faults the demo picks from, with weights: mostly the common ones, now and then a reinstall. */
const DEMO_FAULTS: Array<{ kind: 'vm' | 'host'; fault: string; weight: number }> = [
  { kind: 'vm', fault: 'panic', weight: 4 },
  { kind: 'vm', fault: 'hang', weight: 3 },
  { kind: 'vm', fault: 'service-dead', weight: 3 },
  { kind: 'host', fault: 'hypervisor-crash', weight: 2 },
  { kind: 'host', fault: 'power-loss', weight: 2 },
  { kind: 'host', fault: 'hang', weight: 2 },
  { kind: 'host', fault: 'destroy-boot', weight: 1 },
];

export function startDemoCrashes(opts: { world: World; controller: Controller; clock: Clock; log: Logger; everySeconds: number; seed: number }): () => void {
  const random = createRandom(opts.seed);
  let timer: unknown = null;
  let stopped = false;
  const total = DEMO_FAULTS.reduce((s, f) => s + f.weight, 0);

  const injectOne = () => {
    const healthy = opts.controller.status().filter((t) => t.phase === 'healthy');
    if (healthy.length === 0) return;
    let roll = random.next() * total;
    const choice = DEMO_FAULTS.find((f) => (roll -= f.weight) < 0) ?? DEMO_FAULTS[0]!;
    const candidates = healthy.filter((t) => t.kind === choice.kind);
    if (candidates.length === 0) return;
    const target = candidates[Math.floor(random.next() * candidates.length)]!;
    const line = choice.fault === 'hypervisor-crash' ? `hypervisor ${target.name} crash` : `${choice.kind} ${target.name} ${choice.fault}`;
    applyFaultLine(opts.world, line);
    opts.log.warn({ demo: true, target: target.targetId, fault: choice.fault }, `demo: injected "${line}"`);
  };

  const schedule = () => {
    if (stopped) return;
    const jitter = 0.5 + random.next();
    timer = opts.clock.setTimeout(() => {
      try {
        injectOne();
      } catch (e) {
        opts.log.error({ demo: true, error: String(e) }, 'demo: injection failed');
      }
      schedule();
    }, opts.everySeconds * 1000 * jitter);
  };
  schedule();
  return () => {
    stopped = true;
    if (timer !== null) opts.clock.clearTimeout(timer);
  };
}
