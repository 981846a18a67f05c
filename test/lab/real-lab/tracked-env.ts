/**
 * An Env whose driver calls are counted while in flight, so a teardown can wait for them before
 * closing the connections under them (stop() does not await a running probe or action). The e2e
 * rack and the bench's real-lab replay use it.
 */
import type { Env } from '../../../src/env/env.js';

/** Every driver call in flight is counted, so cleanup can wait for them before closing connections. */
export function trackedEnv(env: Env, inflight: Set<Promise<unknown>>): Env {
  const tracked = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(obj, prop) {
        const value = Reflect.get(obj, prop, obj) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => unknown).apply(obj, args);
          if (result instanceof Promise) {
            const settled = result.then(() => undefined, () => undefined);
            inflight.add(settled);
            void settled.then(() => inflight.delete(settled));
          }
          return result;
        };
      },
    });
  return {
    name: env.name,
    clock: env.clock,
    log: env.log,
    probes: tracked(env.probes),
    power: tracked(env.power),
    hypervisor: tracked(env.hypervisor),
    shell: tracked(env.shell),
    provisioner: tracked(env.provisioner),
    witnesses: tracked(env.witnesses),
  };
}
