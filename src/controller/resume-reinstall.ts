/**
 * A reinstall taken over after a controller restart: no boot-device or power command (the first
 * controller sent them; the host is installing), only the wait for its end with what is left of
 * the deadline. The end is the install-complete callback (Provisioner.resume), or the hypervisor
 * answering again: a callback that went to the dead controller is not waited for in vain.
 */
import { ACTION_OK, actionFailed, type ActionResult } from '../core/action-result.js';
import type { HostSpec } from '../core/types.js';
import type { Env } from '../env/env.js';
import { sleepUnlessAborted } from '../env/abort.js';
import { errorText, RrcError } from '../errors.js';
import type { Timeline } from './executor-types.js';

/** How often the hypervisor is asked whether the reinstalled host is back. */
export const RESUMED_POLL_MS = 10_000;

export async function resumeReinstall(env: Env, host: HostSpec, remainingMs: number, timeline: Timeline): Promise<ActionResult> {
  const stop = new AbortController();
  const deadline = env.clock.setTimeout(() => stop.abort(new RrcError('RRC_ERR_DRIVER_TIMEOUT', `resumed reinstall of ${host.name}: no end within ${Math.round(remainingMs / 1000)} s`)), remainingMs);
  const signal = stop.signal;
  const callback = env.provisioner.resume
    ? env.provisioner.resume(host, {
        deadlineMs: remainingMs,
        signal,
        onMilestone: (m) => timeline('milestone', `${m.name}${m.detail ? `: ${m.detail}` : ''}`, { milestone: m.name, at: m.at }),
      }).then(() => 'the install-complete callback arrived')
    : null;
  const back = hypervisorBack(env, host, remainingMs, signal).then(() => `${host.name}'s hypervisor answers again`);
  try {
    const how = await Promise.race(callback ? [callback, back] : [back]);
    timeline('milestone', `resumed reinstall of ${host.name} ended: ${how}`, { milestone: 'resumed-end' });
    await env.hypervisor.ping(host);
    return ACTION_OK;
  } catch (e) {
    return actionFailed(errorText(e));
  } finally {
    env.clock.clearTimeout(deadline);
    if (!signal.aborted) stop.abort(new RrcError('RRC_ERR_ABORTED', 'resumed reinstall settled'));
    callback?.catch(() => undefined);
    back.catch(() => undefined);
  }
}

/** Resolves once the host's hypervisor answers; bounded by the deadline (a poll every RESUMED_POLL_MS). */
async function hypervisorBack(env: Env, host: HostSpec, remainingMs: number, signal: AbortSignal): Promise<void> {
  const rounds = Math.ceil(remainingMs / RESUMED_POLL_MS) + 1;
  for (let round = 0; round < rounds; round++) {
    await sleepUnlessAborted(env.clock, RESUMED_POLL_MS, signal, `waiting for ${host.name} after its reinstall`);
    try {
      await env.hypervisor.ping(host, { signal });
      return;
    } catch {
      signal.throwIfAborted();
    }
  }
  throw new RrcError('RRC_ERR_DRIVER_TIMEOUT', `${host.name} did not answer within ${Math.round(remainingMs / 1000)} s of the resumed reinstall`);
}
