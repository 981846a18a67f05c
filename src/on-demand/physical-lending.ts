/**
 * A whole host lent out (`--physical`), one recorded step at a time:
 *
 *   lend:maintenance        the spare goes into maintenance: the ladder still probes it, takes no
 *                           action on it, evacuates nothing onto it and counts no room on it
 *   lend:reinstall-started  recorded BEFORE the PXE reinstall with the requested OS is started
 *   lend:reinstall          the install-complete callback arrived: ready
 *   end:reinstall-started   at the end (expiry, release, failure) the host is reinstalled back as
 *   end:reinstall           a hypervisor with the default template, which also wipes the borrower's disk
 *   end:maintenance-off     and returned to the pool (the ladder takes it back once it answers)
 *
 * The reinstalls run in the background (PhysicalReinstalls); the sweep records their outcome.
 * After a restart a reinstall recorded as started is never started again blindly: the service
 * observes (the provisioner's resume, or the host answering as expected) until the deadline.
 */
import { targetId, type HostSpec } from '../core/types.js';
import type { InstallProfile, ReinstallMilestone } from '../env/env.js';
import { sleepUnlessAborted } from '../env/abort.js';
import { RrcError, isRrcError } from '../errors.js';
import type { RequestRecord } from '../store/types.js';
import { findOs } from './catalogue.js';
import { renderKickstartFirstBoot } from './images/kickstart-first-boot.js';
import { firstBootData, LENDING_ACTOR } from './provisioning.js';
import type { PhysicalReinstalls } from './physical-reinstalls.js';
import type { RequestBook } from './request-book.js';
import type { RequestServiceDeps } from './service-deps.js';
import { formatDurationMs } from './units.js';

/** The reinstall rung's default timeout (policy.rungs.reinstall): the same bound for a lent host's installs. */
export const DEFAULT_PHYSICAL_REINSTALL_MS = 1500_000;
/** How often a reinstall taken over after a restart asks whether the host is back. */
export const OBSERVE_POLL_MS = 10_000;
/**
 * A host seen answering sooner than this after its reinstall was started may not have gone down
 * yet (BMC commands, POST): only later is an answer taken as the end of the install.
 */
export const MIN_INSTALL_MS = 120_000;

type Phase = 'lend' | 'end';

export interface PhysicalDeps extends RequestServiceDeps {
  reinstalls: PhysicalReinstalls;
}

const keyOf = (r: RequestRecord, phase: Phase) => `${r.id}:${phase}`;

async function hostOf(deps: RequestServiceDeps, r: RequestRecord): Promise<HostSpec> {
  const host = r.host === null ? null : await deps.store.getHost(r.host);
  if (!host) throw new RrcError('RRC_ERR_NOT_FOUND', `host ${r.host ?? '(none)'} of request ${r.id}`);
  return host;
}

/** The requested OS and the owner's first boot, as the provisioner's install profile. */
export function lendProfile(deps: RequestServiceDeps, r: RequestRecord): InstallProfile {
  const os = findOs(deps.catalogue, r.os);
  if (os.kind !== 'install') throw new RrcError('RRC_ERR_VALIDATION', `OS ${os.name} is a disk image: a physical host installs over PXE (kind install)`);
  const data = { ...firstBootData(deps, r), hostname: r.host ?? r.id };
  return { template: os.kickstartTemplate, firstBoot: renderKickstartFirstBoot(data) };
}

/**
 * Runs (or, after a restart, observes) the reinstall of `phase`. Returns 'done' once the outcome
 * is recorded, 'waiting' while it runs, or the error text of a failed one (recorded, and forgotten
 * so that a new attempt may start).
 */
async function reinstallStep(deps: PhysicalDeps, book: RequestBook, start: RequestRecord, phase: Phase): Promise<{ r: RequestRecord; outcome: 'done' | 'waiting' | { failed: string } }> {
  let r = start;
  const done = `${phase}:reinstall`;
  const started = `${phase}:reinstall-started`;
  if (r.steps.includes(done)) return { r, outcome: 'done' };
  const key = keyOf(r, phase);
  const host = await hostOf(deps, r);
  const what = phase === 'lend' ? `${host.name} reinstalled with ${r.os}` : `${host.name} reinstalled back as a hypervisor (default template)`;
  const state = deps.reinstalls.state(key);
  if (state.kind === 'running') return { r, outcome: 'waiting' };
  if (state.kind === 'done') {
    deps.reinstalls.forget(key);
    r = await book.patch(r, { steps: [...r.steps, done] });
    await book.event(r, 'step', `${what}: done`, { step: done });
    return { r, outcome: 'done' };
  }
  if (state.kind === 'failed') {
    deps.reinstalls.forget(key);
    r = await book.patch(r, { steps: r.steps.filter((s) => s !== started), error: state.error });
    await book.event(r, 'error', `${what}: failed: ${state.error}`, { step: done });
    return { r, outcome: { failed: state.error } };
  }
  const provisioner = deps.provisioner;
  if (!provisioner) throw new RrcError('RRC_ERR_MISSING_DEPENDENCY', 'this controller has no PXE provisioner: it cannot reinstall a lent host');
  const deadlineMs = deps.physicalReinstallMs ?? DEFAULT_PHYSICAL_REINSTALL_MS;
  const onMilestone = (m: ReinstallMilestone) => {
    if (deps.reinstalls.isDetached) return;
    void book.event(r, 'milestone', `${host.name}: ${m.name}${m.detail ? ` (${m.detail})` : ''}`, { phase, milestone: m.name }).catch(() => undefined);
  };
  if (r.steps.includes(started)) {
    // An earlier controller started it: observe what is left of it, never start it again.
    const at = (await deps.store.listRequestEvents(r.id)).filter((e) => e.data?.['step'] === started).map((e) => e.at).pop() ?? book.now();
    const remaining = Math.max(OBSERVE_POLL_MS, deadlineMs - (book.now() - at));
    await book.event(r, 'step', `${what}: taken over after a restart, ${formatDurationMs(remaining)} left`, { step: done });
    deps.reinstalls.start(key, (signal) => observe(deps, host, phase, at, remaining, signal, onMilestone));
    return { r, outcome: 'waiting' };
  }
  const profile = phase === 'lend' ? lendProfile(deps, r) : undefined;
  r = await book.patch(r, { steps: [...r.steps, started] });
  await book.event(r, 'step', `${what}: started (PXE, template ${profile?.template ?? 'default'})`, { step: started });
  deps.reinstalls.start(key, (signal) => provisioner.reinstall(host, { deadlineMs, onMilestone, signal, ...(profile ? { profile } : {}) }));
  return { r, outcome: 'waiting' };
}

/** The end of a reinstall started by an earlier controller: its callback (resume) or the host answering as expected. */
async function observe(deps: RequestServiceDeps, host: HostSpec, phase: Phase, startedAt: number, remainingMs: number, signal: AbortSignal, onMilestone: (m: ReinstallMilestone) => void): Promise<void> {
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const callback = deps.provisioner?.resume?.(host, { deadlineMs: remainingMs, signal: stop.signal, onMilestone }) ?? null;
  callback?.catch(() => undefined);
  const answered = (async () => {
    const rounds = Math.ceil(remainingMs / OBSERVE_POLL_MS) + 1;
    for (let i = 0; i < rounds; i++) {
      await sleepUnlessAborted(deps.clock, OBSERVE_POLL_MS, stop.signal, `waiting for ${host.name} after its reinstall`);
      if (deps.clock.now() - startedAt < MIN_INSTALL_MS) continue;
      const seen = await deps.controller.hostProbe(host.name).catch(() => null);
      const o = seen?.observation;
      if (o && (phase === 'end' ? o.hypervisorOk : o.reachable && o.shellOk !== false)) return;
    }
    throw new RrcError('RRC_ERR_DRIVER_TIMEOUT', `${host.name} did not answer within ${formatDurationMs(remainingMs)} of the reinstall taken over`);
  })();
  answered.catch(() => undefined);
  try {
    await Promise.race(callback ? [callback, answered] : [answered]);
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (!stop.signal.aborted) stop.abort(new Error('observed reinstall settled'));
  }
}

async function maintenance(deps: RequestServiceDeps, book: RequestBook, r: RequestRecord, on: boolean): Promise<boolean> {
  const id = targetId('host', r.host as string);
  const phase = deps.controller.targetStatus(id)?.phase;
  if (on === (phase === 'maintenance')) return true;
  try {
    await deps.controller.setMaintenance(id, on, `${LENDING_ACTOR}:${r.owner} (request ${r.id})`);
    return true;
  } catch (e) {
    // An action of the ladder is running on it: wait for it to end (next sweep).
    if (isRrcError(e, 'RRC_ERR_INVALID_STATE')) {
      await book.event(r, 'step', `waiting: ${e.message}`);
      return false;
    }
    throw e;
  }
}

/** Provisioning of a lent host: maintenance, then the install; ready at the install-complete callback. */
export async function advancePhysicalProvisioning(deps: PhysicalDeps, book: RequestBook, start: RequestRecord): Promise<RequestRecord> {
  let r = start;
  if (r.state === 'placing') r = await book.transition(r, 'provisioning', `${r.host ?? '?'} lent out`);
  lendProfile(deps, r); // a catalogue change since the request: fail before touching the host
  if (!r.steps.includes('lend:maintenance')) {
    if (!(await maintenance(deps, book, r, true))) return r;
    r = await book.step(r, 'lend:maintenance', `${r.host} in maintenance while lent (no automatic action, no VM placed there)`, async () => undefined);
  }
  const step = await reinstallStep(deps, book, r, 'lend');
  r = step.r;
  if (step.outcome === 'waiting') return r;
  if (step.outcome !== 'done') {
    return book.transition(r, 'expiring', `the install of ${r.os} on ${r.host} failed: ${step.outcome.failed}`, { endReason: 'failed' });
  }
  const host = await hostOf(deps, r);
  return book.transition(r, 'ready', `${host.name} installed with ${r.os} (install-complete callback)`, { readyAt: book.now(), address: host.ip, error: null });
}

/** The end of a lent host: the lend install stopped, reinstalled back as a hypervisor, back in the pool. */
export async function advancePhysicalEnding(deps: PhysicalDeps, book: RequestBook, start: RequestRecord): Promise<RequestRecord> {
  let r = start;
  await deps.reinstalls.abort(keyOf(r, 'lend'), `request ${r.id} ends`);
  const touched = r.steps.includes('lend:maintenance');
  if (touched) {
    const touchedDisk = r.steps.includes('lend:reinstall-started') || r.steps.includes('lend:reinstall');
    if (touchedDisk) {
      const step = await reinstallStep(deps, book, r, 'end');
      r = step.r;
      // A failed return reinstall is tried again at the next sweep; the host stays in maintenance.
      if (step.outcome !== 'done') return r;
    }
    if (!r.steps.includes('end:maintenance-off')) {
      if (!(await maintenance(deps, book, r, false))) return r;
      r = await book.step(r, 'end:maintenance-off', `${r.host} out of maintenance: a spare of the pool again`, async () => undefined);
    }
    if (touchedDisk) r = await book.patch(r, { erasedHow: 'reinstall' });
  }
  const endedAt = book.now();
  if (r.endReason === null) throw new RrcError('RRC_ERR_INTERNAL', `request ${r.id} ends without a reason`);
  const ran = r.placedAt !== null ? `${r.host ?? '?'} lent for ${formatDurationMs(endedAt - r.placedAt)}` : 'never placed';
  const erased = r.erasedHow ? ', disk wiped by its reinstall as a hypervisor' : '';
  const to = r.endReason === 'released' ? 'released' : r.endReason === 'failed' ? 'failed' : 'erased';
  return book.transition(r, to, `${r.endReason}: ${ran}${erased}`, { endedAt });
}
