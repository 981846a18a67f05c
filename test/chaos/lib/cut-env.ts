/**
 * The killed controller's Env. After the kill: every driver call hangs forever, the answer of a
 * call in flight never comes back, and every timer it set is dropped (its probe loop, its XState
 * delays, its waits). A call in flight at the kill either lands in the world (`land`: the command
 * had reached the BMC or libvirtd) or never acts (`drop`: it is aborted before its effect).
 */
import type { Clock, Env } from '../../../src/env/env.js';
import { never, type KillSwitch } from './kill-switch.js';

export type InFlight = 'land' | 'drop';

/** Called before a driver call is sent and after its answer arrived (a kill trigger may fire). */
export type CallHook = (op: string, phase: 'before' | 'after') => void;

export function cutEnv(inner: Env, sw: KillSwitch, inFlight: InFlight, hook?: CallHook): Env {
  const wrap = <T extends object>(part: string, driver: T): T => cutDriver(part, driver, sw, inFlight, hook);
  return {
    name: inner.name,
    log: inner.log,
    clock: cutClock(inner.clock, sw),
    probes: wrap('probes', inner.probes),
    power: wrap('power', inner.power),
    hypervisor: wrap('hypervisor', inner.hypervisor),
    shell: wrap('shell', inner.shell),
    provisioner: wrap('provisioner', inner.provisioner),
    witnesses: wrap('witnesses', inner.witnesses),
  };
}

function cutClock(inner: Clock, sw: KillSwitch): Clock {
  const live = new Set<unknown>();
  sw.signal.addEventListener('abort', () => {
    for (const h of live) inner.clearTimeout(h);
    live.clear();
  });
  return {
    now: () => inner.now(),
    setTimeout(fn, ms) {
      if (sw.killed) return null;
      const handle = inner.setTimeout(() => {
        live.delete(handle);
        if (!sw.killed) fn();
      }, ms);
      live.add(handle);
      return handle;
    },
    clearTimeout(handle) {
      live.delete(handle);
      inner.clearTimeout(handle);
    },
  };
}

function cutDriver<T extends object>(part: string, driver: T, sw: KillSwitch, inFlight: InFlight, hook?: CallHook): T {
  return new Proxy(driver, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      const op = `${part}.${String(key)}`;
      return (...args: unknown[]): Promise<unknown> => {
        if (!sw.killed) hook?.(op, 'before');
        if (sw.killed) return never();
        const call = inFlight === 'drop' ? withKillSignal(args, sw.signal) : args;
        return method.apply(target, call).then(
          (v) => {
            if (!sw.killed) hook?.(op, 'after');
            return sw.killed ? never() : v;
          },
          (e: unknown) => (sw.killed ? never() : Promise.reject(e)),
        );
      };
    },
  });
}

/** The call's options with the kill signal joined to its own (specs carry `name`; options do not). */
function withKillSignal(args: unknown[], kill: AbortSignal): unknown[] {
  const last = args[args.length - 1];
  if (last && typeof last === 'object' && !Array.isArray(last) && !('name' in last)) {
    const opts = last as { signal?: AbortSignal };
    const signal = opts.signal ? AbortSignal.any([opts.signal, kill]) : kill;
    return [...args.slice(0, -1), { ...opts, signal }];
  }
  return [...args, { signal: kill }];
}
