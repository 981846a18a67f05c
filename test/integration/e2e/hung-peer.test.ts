/**
 * End to end, real peers: a hung peer never hangs the controller. `hung1`'s SSH endpoint accepts
 * TCP and never sends a byte, and its BMC is an ipmi_sim frozen with SIGSTOP (the UDP port is
 * bound, nothing answers). Next to it `ok1` is a healthy host (ipmi_sim, sshd, libvirt test:///)
 * carrying one VM. Probe cycles must keep completing at about the probe interval while the
 * controller probes and acts on the hung host (every call into it waits for a timeout), the
 * healthy host and its VM must stay healthy, the hung host must be declared failed (its reboot
 * held: its TCP port and hypervisor answer and its peer reaches it), and
 * `controller.stop()` must return promptly.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { delay } from '../../lab/peers/common.js';
import { bounded, startRack, until, type Rack } from '../../lab/e2e-rack.js';

const INTERVAL_MS = 5_000;
/**
 * Per-check deadlines of the prober: below the interval, so one cycle fits in one interval, and
 * well above what a healthy sshd and ipmi_sim need on a loaded 2-core machine (over 1.5 s seen
 * at load 10 with a bench beside the suite).
 */
const CHECK_MS = 4_000;
const PROBE_TIMEOUT_MS = 4_800;

let rack: Rack | undefined;

before(async () => {
  rack = await startRack({
    hosts: [
      { name: 'hung1', role: 'primary', bmc: 'frozen', ssh: 'hung' },
      { name: 'ok1', role: 'primary', bmc: 'ipmi', ssh: 'sshd', domains: [{ name: 'app1', uuid: '00000000-0000-4000-8000-00000000e301' }] },
    ],
    probeIntervalMs: INTERVAL_MS,
    probeTimeoutMs: PROBE_TIMEOUT_MS,
    timeouts: {
      ipmiMs: 3_000,
      ipmiRetries: 1,
      libvirtCallMs: CHECK_MS,
      probe: { bmcMs: CHECK_MS, tcpMs: 3_000, sshMs: CHECK_MS, libvirtMs: CHECK_MS, guestMs: 3_000, serviceMs: CHECK_MS },
    },
    fence: { confirmTimeoutMs: 2_000, pollMs: 250, maxOffAttempts: 2 },
    policy: {
      rungs: {
        reboot: { timeoutSeconds: 4, maxAttempts: 1 },
        // Long: should the reboot ever be admitted and fail, `systemctl restart libvirtd` over the
        // hung SSH endpoint would wait until cleanup stops that endpoint.
        'restart-hypervisor': { timeoutSeconds: 120, maxAttempts: 1 },
        'fence-migrate': { timeoutSeconds: 10, maxAttempts: 1 },
        reinstall: { timeoutSeconds: 3, maxAttempts: 1 },
      },
    },
  });
});

after(async () => {
  await rack?.cleanup();
});

test('hung SSH and frozen BMC: cycles keep their pace, healthy host stays healthy, hung host fails, stop() is prompt', async (t) => {
  const r = rack!;
  const hung = r.host('hung1');

  // Sample the cycle counter every 50 ms for a fixed window (bounded loop), noting when it moves.
  const windowMs = 40_000;
  const ticks: number[] = [];
  const startedAt = Date.now();
  let last = (await r.controller.health()).probeCycles;
  for (let i = 0; i < Math.ceil(windowMs / 50) + 1 && Date.now() - startedAt < windowMs; i++) {
    await delay(50);
    const cycles = (await r.controller.health()).probeCycles;
    if (cycles !== last) {
      ticks.push(Date.now());
      last = cycles;
    }
  }
  const gaps = ticks.slice(1).map((x, i) => x - (ticks[i] as number));
  const maxGap = Math.max(...gaps);
  const meanGap = gaps.reduce((a, b) => a + b, 0) / Math.max(1, gaps.length);
  const summary = `${ticks.length} cycles in ${windowMs} ms, mean gap ${meanGap.toFixed(0)} ms, max gap ${maxGap} ms`;
  t.diagnostic(summary);

  // About one cycle per interval: a cycle that waited on a hung peer beyond the check deadlines
  // (or for an action) would show up as a gap of many intervals.
  assert.ok(ticks.length >= Math.floor(windowMs / INTERVAL_MS) - 3, `${summary}\n${await r.dump()}`);
  assert.ok(maxGap < 2.5 * INTERVAL_MS, `${summary}\n${await r.dump()}`);
  assert.ok(meanGap < 1.4 * INTERVAL_MS, `${summary}\n${await r.dump()}`);

  // The hung peers were really contacted (and really hung).
  assert.ok(hung.hung!.accepted() >= 3, `hung SSH endpoint accepted ${hung.hung!.accepted()} connections`);

  // The hung host is declared failed, from the evidence: TCP answers, no command runs.
  const [incident] = await r.store.listIncidents({ targetId: 'host:hung1' });
  assert.ok(incident, `no incident for hung1:\n${await r.dump()}`);
  assert.equal(incident.signature, 'host-os-hung');
  // Its TCP port and its hypervisor still answer, and its one peer reaches it: no independent
  // evidence that it is down, so the reboot is held (do no harm) while the cycles keep their pace.
  const hungPhase = r.controller.targetStatus('host:hung1')!.phase;
  assert.equal(hungPhase, 'holding', `hung1 is ${hungPhase}:\n${await r.dump()}`);
  const detail = (await r.store.getIncident(incident.id))!;
  const actions = detail.actions.map((a) => `${a.kind}:${a.outcome ?? 'running'}`);
  assert.ok(actions.length >= 1 && actions.every((a) => a === 'host-reboot:held'), `${actions.join(', ')}\n${await r.dump()}`);
  assert.match(r.controller.targetStatus('host:hung1')!.reason ?? '', /peers reach it/);

  // The healthy host and its VM stayed healthy: never declared failed (at most a single slow
  // probe, which hysteresis absorbs as `suspect`), no incident, no power command, not moved.
  for (const id of ['host:ok1', 'vm:app1'] as const) {
    assert.equal(r.controller.targetStatus(id)!.phase, 'healthy', `${id}:\n${await r.dump()}`);
    const moves = r.events.flatMap((e) => (e.type === 'phase' && e.targetId === id ? [`${e.from} => ${e.to}`] : []));
    assert.ok(
      moves.every((m) => m === 'healthy => suspect' || m === 'suspect => healthy'),
      `${id} left healthy: ${moves.join(', ')}\n${await r.dump()}`,
    );
    if (moves.length) t.diagnostic(`${id}: ${moves.length / 2} single slow probe(s) absorbed as suspect`);
    assert.deepEqual(await r.store.listIncidents({ targetId: id }), [], await r.dump());
  }
  assert.deepEqual(r.host('ok1').sim.calls(), [], 'no power command for the healthy host');
  assert.equal((await r.store.getVm('app1'))!.currentHost, 'ok1');

  // stop() is bounded even with probes and an action against hung peers in flight.
  const stopStarted = Date.now();
  await bounded(r.controller.stop(), 5_000, 'controller.stop()');
  const stopMs = Date.now() - stopStarted;
  t.diagnostic(`controller.stop() took ${stopMs} ms`);
  assert.ok(stopMs < 5_000, `stop took ${stopMs} ms`);
  // Stopped means stopped: no further cycle completes.
  const cyclesAtStop = (await r.controller.health()).probeCycles;
  const moved = await until(async () => (await r.controller.health()).probeCycles > cyclesAtStop + 1, 2 * INTERVAL_MS + 500);
  assert.ok(!moved, 'probe cycles continued after stop()');
});
