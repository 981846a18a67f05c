/** The Env with its prober timed: each probe's duration (on the Env's clock) goes to the metrics. */
import type { Env, Prober } from '../env/env.js';

export type ProbeKind = 'host' | 'vm';

export function withProbeTiming(env: Env, observe: (kind: ProbeKind, seconds: number) => void): Env {
  const inner = env.probes;
  const timed = async <T>(kind: ProbeKind, run: () => Promise<T>): Promise<T> => {
    const started = env.clock.now();
    try {
      return await run();
    } finally {
      observe(kind, (env.clock.now() - started) / 1000);
    }
  };
  const probes: Prober = {
    probeHost: (host) => timed('host', () => inner.probeHost(host)),
    probeVm: (vm, host) => timed('vm', () => inner.probeVm(vm, host)),
  };
  // Everything else is the Env itself (its prototype: methods such as close() keep working).
  return Object.create(env, { probes: { value: probes, enumerable: true } }) as Env;
}
