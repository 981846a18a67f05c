/**
 * The real side's Env, as the controller gets it: every driver call counted (test/lab's
 * trackedEnv), and every probe judged against the lab's ground truth (an overloaded machine makes probes miss their deadlines: that is the lab's fault,
 * not a difference between the sim and the real controller paths).
 */
import type { Env, Prober } from '../../src/env/env.js';
import type { EpisodeObserver } from './episode.js';
import type { Lab } from '../../test/lab/real-lab/lab.js';

/** A probe this long hit a check deadline (2 s, lab-config.ts): the machine did not answer in time. */
const SLOW_PROBE_MS = 1_800;

/**
 * The Env with every probe judged against the lab's ground truth: a probe that reports something
 * down although the lab had all of it up, unchanged, from before the probe started until after it
 * ended, is recorded (after the injection only; the controller still gets the probe as it was).
 */
export function judgedEnv(env: Env, lab: Lab, observer: EpisodeObserver, out: { slow: string[]; fast: string[] }): Env {
  const m = lab.machines;
  const since = (t: number) => (observer.injectedAt === null ? 'before the injection,' : `+${((t - observer.injectedAt) / 1000).toFixed(2)}`);
  // Until the end of the episode (not the probes cut short by the teardown); before the
  // injection too: a lab that cannot settle healthy is judged the same way.
  // A probe that ran into a check deadline was starved (an overloaded machine); one that failed
  // fast was not: it saw something real the lab does not track (e.g. the libvirt driver handing a
  // probe the failure of a connect it began while the host was still down).
  const note = (ms: number, line: string) => {
    const list = ms >= SLOW_PROBE_MS ? out.slow : out.fast;
    if (!observer.ended && list.length < 50) list.push(line);
  };
  const probes: Prober = {
    probeHost: async (host) => {
      const mark = m.hostMark(host.name);
      const up = m.hostUp(host.name);
      const t0 = Date.now();
      const o = await env.probes.probeHost(host);
      if (up && m.hostUp(host.name) && m.hostMark(host.name) === mark) {
        const wrong = [o.bmcReachable === false && 'BMC', !o.reachable && 'TCP', o.shellOk === false && 'SSH', !o.hypervisorOk && 'hypervisor'].filter(Boolean);
        const ms = Date.now() - t0;
        if (wrong.length) note(ms, `${since(t0)} host:${host.name} up in the lab, probe (${ms} ms) saw ${wrong.join(', ')} down: ${JSON.stringify(o.details ?? {})}`);
      }
      return o;
    },
    probeVm: async (vm, host) => {
      const mark = m.vmMark(vm.name);
      const up = m.vmUp(vm.name, host.name);
      const t0 = Date.now();
      const o = await env.probes.probeVm(vm, host);
      if (up && m.vmUp(vm.name, host.name) && m.vmMark(vm.name) === mark) {
        const wrong = [!o.hypervisorOk && 'hypervisor', o.domain !== 'running' && `domain ${o.domain}`, !o.guestReachable && 'guest', o.serviceOk === false && 'service'].filter(Boolean);
        const ms = Date.now() - t0;
        if (wrong.length) note(ms, `${since(t0)} vm:${vm.name} up in the lab, probe (${ms} ms) saw ${wrong.join(', ')} down: ${JSON.stringify(o.details ?? {})}`);
      }
      return o;
    },
  };
  return { ...env, probes } as Env;
}
