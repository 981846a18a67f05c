/**
 * The self-fence contract with a real watchdog device: QEMU (TCG) boots Debian's kernel with an
 * emulated Intel 6300ESB watchdog (-device i6300esb, -action watchdog=poweroff) and user
 * networking, and runs the shipped host agent (kickstart/rrc-watchdog.sh, unchanged) as a host
 * with a guest VM would (test/lab/qemu/watchdog-agent-initramfs.ts). The test plays the cluster on
 * 127.0.0.1 (the guest's 10.0.2.2): a controller's /health and one peer's sshd port.
 *
 *   1. the controller answers: the host keeps running for twice the watchdog timeout (fed);
 *   2. the controller is gone but the peer (a majority of one) answers: still fed, still running;
 *   3. nothing answers: QEMU reports the WATCHDOG event and powers the machine off, no later after
 *      the last answer than the lease the agent declares (`rrc-watchdog.sh lease`) plus a margin.
 *
 * Bounds are one-sided: load can only delay the agent, which makes phases 1-2 stricter tests
 * (still fed), and the device counts QEMU's virtual clock, which does not run faster than the
 * host's, so load cannot make the reset come early; the margin covers a late one.
 *
 * The kernel and its e1000/i6300esb modules come from scripts/setup.sh (.cache/test-kernel/);
 * without them the test skips and says so.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { freeTcpPort, makeTempDir } from '../../lab/peers/common.js';
import { startControllerStandIn, startPeerStandIn, type ContactListener } from '../../lab/peers/contact-listeners.js';
import { bootDirect, type DirectBootMachine } from '../../lab/qemu/qemu-direct-boot.js';
import { qmpArgs, watchQmpEvents, type QmpEvents } from '../../lab/qemu/qmp-events.js';
import { findTestKernel } from '../../lab/qemu/test-kernel.js';
import {
  HOST_FROM_GUEST,
  WATCHDOG_GUEST_TAG,
  buildWatchdogAgentInitramfs,
  watchdogConf,
  type AgentSettings,
} from '../../lab/qemu/watchdog-agent-initramfs.js';

const AGENT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../kickstart/rrc-watchdog.sh');
const WATCHDOG_TIMEOUT_S = 15;
const INTERVAL_S = 2;
/** curl in a TCG guest on a loaded machine: 2 s timed out now and then (a check that fails is a lapse). */
const CHECK_TIMEOUT_S = 5;
/** Generous: a loaded 2-core machine under TCG; boot to an armed agent takes ~20 s when idle. */
const BOOT_TIMEOUT_MS = 300_000;
/** Each fed phase: twice the device timeout, so an unfed device would have reset the machine. */
const FED_PHASE_MS = 2 * WATCHDOG_TIMEOUT_S * 1000;
/** For a late reset on a loaded machine, beyond the declared lease. */
const LEASE_MARGIN_S = 30;

const kernel = findTestKernel();
const missingModules = 'missing' in kernel ? [] : ['e1000', 'watchdog', 'i6300esb'].filter((m) => !existsSync(join(kernel.modulesDir, `${m}.ko`)));
const skip = 'missing' in kernel
  ? kernel.missing
  : missingModules.length > 0
    ? `the test kernel cache lacks ${missingModules.map((m) => `${m}.ko`).join(', ')}: run scripts/setup.sh (it fetches the kernel again when a listed module is missing)`
    : false;

const guestLines = (text: string): string[] =>
  text.split('\n').filter((l) => l.startsWith(`${WATCHDOG_GUEST_TAG} `)).map((l) => l.slice(WATCHDOG_GUEST_TAG.length + 1).trimEnd());
const agentLines = (text: string): string[] => text.split('\n').filter((l) => l.startsWith('rrc-watchdog: ')).map((l) => l.trimEnd());
const NOT_FEEDING = /no controller and no majority of peers answer .*not feeding the watchdog/;

/** The lease the agent declares for these settings, from the script itself. */
function declaredLease(confPath: string): number {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RRC_')));
  const out = execFileSync('bash', [AGENT, 'lease'], { env: { ...env, RRC_WATCHDOG_CONF: confPath }, encoding: 'utf8', timeout: 10_000 });
  return Number(out.trim());
}

test(
  'the host agent feeds a real i6300esb watchdog while the cluster answers and QEMU powers the machine off within the lease once nothing does',
  { skip, timeout: BOOT_TIMEOUT_MS + 2 * FED_PHASE_MS + 120_000 },
  async (t) => {
    if ('missing' in kernel) return;
    const tmp = makeTempDir('qemu-watchdog');
    const live: { machine?: DirectBootMachine; qmp?: QmpEvents; listeners: ContactListener[] } = { listeners: [] };
    after(async () => {
      live.qmp?.close();
      await live.machine?.kill();
      await Promise.all(live.listeners.map((l) => l.stop()));
      tmp.remove();
    });

    const controller = await startControllerStandIn();
    live.listeners.push(controller);
    const peerPort = await freeTcpPort();
    const settings: AgentSettings = {
      controllers: [`http://${HOST_FROM_GUEST}:${controller.port}`],
      peers: [HOST_FROM_GUEST],
      peerPort,
      watchdogTimeoutS: WATCHDOG_TIMEOUT_S,
      intervalS: INTERVAL_S,
      checkTimeoutS: CHECK_TIMEOUT_S,
      guestsCommand: 'echo vm1',
    };
    const conf = watchdogConf(settings);
    const confPath = join(tmp.dir, 'watchdog.conf');
    writeFileSync(confPath, conf);
    const lease = declaredLease(confPath);
    assert.ok(lease >= WATCHDOG_TIMEOUT_S, `declared lease ${lease} s covers the device timeout`);
    const initramfs = join(tmp.dir, 'initramfs.gz');
    writeFileSync(initramfs, buildWatchdogAgentInitramfs(kernel, AGENT, conf));

    const qmpPath = join(tmp.dir, 'qmp.sock');
    const started = Date.now();
    const machine = bootDirect({
      dir: tmp.dir,
      kernel: kernel.vmlinuz,
      initramfs,
      extraArgs: [
        // No default route in the guest: it reaches 10.0.2.2 (the host's 127.0.0.1) and nothing else.
        '-netdev', 'user,id=n0,ipv6=off', '-device', 'e1000,netdev=n0,romfile=',
        '-device', 'i6300esb', '-action', 'watchdog=poweroff',
        ...qmpArgs(qmpPath),
      ],
    });
    live.machine = machine;
    const qmp = await watchQmpEvents(qmpPath, 30_000);
    live.qmp = qmp;
    const context = (): string => {
      const text = machine.console();
      return `guest:\n${guestLines(text).join('\n')}\nagent:\n${agentLines(text).join('\n')}\n--- console tail ---\n${text.slice(-2500)}\n--- qemu ---\n${machine.output()}\n--- qmp events ---\n${JSON.stringify(qmp.events())}`;
    };

    // The agent armed the device and set its timeout (the module's default is 30 s).
    await machine.waitFor((text) => guestLines(text).some((l) => l.startsWith('watchdog-state=')), BOOT_TIMEOUT_MS);
    const armedAt = Date.now();
    assert.ok(agentLines(machine.console()).some((l) => l.startsWith('rrc-watchdog: armed /dev/watchdog')), `agent armed the device\n${context()}`);
    const lines = guestLines(machine.console());
    assert.ok(lines.some((l) => /^watchdog=i6300ESB timer timeout-before-agent=30$/.test(l)), `i6300esb found, 30 s default\n${context()}`);
    assert.ok(lines.includes(`watchdog-state=active watchdog-timeout=${WATCHDOG_TIMEOUT_S}`), `the agent armed it with its timeout\n${context()}`);

    // 1. The controller answers: fed for twice the timeout.
    await machine.waitFor(() => false, FED_PHASE_MS);
    assert.ok(!machine.exited(), `still running ${FED_PHASE_MS / 1000} s after arming while the controller answers\n${context()}`);
    assert.ok(controller.answers().filter((a) => a >= armedAt).length >= 2, `the agent asked the controller\n${context()}`);

    // 2. The controller goes, a peer answers (the peer first: contact never lapses in between).
    const peer = await startPeerStandIn(peerPort);
    live.listeners.push(peer);
    await controller.stop();
    const controllerGoneAt = Date.now();
    await machine.waitFor(() => false, FED_PHASE_MS);
    assert.ok(!machine.exited(), `still running ${FED_PHASE_MS / 1000} s after the controller went while the peer answers\n${context()}`);
    assert.ok(peer.answers().filter((a) => a >= controllerGoneAt).length >= 2, `the agent reached its peer\n${context()}`);
    // A check slowed past its timeout on a loaded machine is a lapse the agent must get over: each
    // "not feeding" while in contact is followed by "contact back", and the device never fired.
    const contactPhase = agentLines(machine.console());
    const lapses = contactPhase.filter((l) => NOT_FEEDING.test(l)).length;
    assert.equal(contactPhase.filter((l) => /contact back: feeding the watchdog again/.test(l)).length, lapses, `every lapse while in contact ended\n${context()}`);
    assert.ok(lapses <= 2, `${lapses} lapses while in contact\n${context()}`);
    assert.equal(qmp.events().filter((e) => e.event === 'WATCHDOG').length, 0, `no watchdog event while in contact\n${context()}`);

    // 3. Nothing answers: the device resets the machine.
    await peer.stop();
    const lastContact = Math.max(...controller.answers(), ...peer.answers());
    const limitMs = (lease + LEASE_MARGIN_S) * 1000;
    await machine.waitFor(() => false, lastContact + limitMs - Date.now());
    assert.ok(machine.exited(), `QEMU powered the machine off within ${lease} + ${LEASE_MARGIN_S} s of the last answer\n${context()}`);
    const exitedAfterS = ((machine.exitedAt() ?? Date.now()) - lastContact) / 1000;
    const watchdog = qmp.events().find((e) => e.event === 'WATCHDOG');
    assert.ok(watchdog, `QEMU reports a WATCHDOG event\n${context()}`);
    assert.equal(watchdog.data.action, 'poweroff', context());
    assert.ok(agentLines(machine.console()).some((l) => NOT_FEEDING.test(l)), `the agent said it stopped feeding\n${context()}`);
    const resetAfterS = (watchdog.at - lastContact) / 1000;
    assert.ok(resetAfterS <= lease + LEASE_MARGIN_S, `reset ${resetAfterS.toFixed(1)} s after the last answer, lease ${lease} s\n${context()}`);
    t.diagnostic(
      `${kernel.debianPackage}: armed after ${Math.round((armedAt - started) / 1000)} s; reset ${resetAfterS.toFixed(1)} s after the last answer ` +
        `and QEMU gone after ${exitedAfterS.toFixed(1)} s (device timeout ${WATCHDOG_TIMEOUT_S} s, declared lease ${lease} s); ${lapses} lapse(s) while in contact; total ${Math.round((Date.now() - started) / 1000)} s`,
    );
  },
);
