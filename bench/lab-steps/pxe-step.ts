/**
 * Lab step 3: a network-booting QEMU machine (TCG) against the project's own boot services
 * (startBootServices: DHCP 67, TFTP 69, HTTP 8080) in a network namespace, as the reinstall tests
 * run them (test/lab/netns + test/lab/qemu/qemu-pxe.ts):
 *
 *   server ns  veth-srv 198.18.x.1: the boot services, a child process (remote-boot-services.ts)
 *   client ns  br0 [veth-cli, tap0]: QEMU, started directly (no BMC: the power command is step 2)
 *
 * Each run: netboot on for the machine's MAC, QEMU started, then the boot services' milestones
 * (with the child's wall-clock time) give DHCP ack and the HTTP request of the per-host install
 * script; QEMU is stopped once the script was asked for. Nothing leaves the two namespaces
 * (198.18.0.0/15, no route out); destroy() deletes them and every process in them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { addClientBridge } from '../../test/lab/netns/bridge.js';
import { createNetnsPair, requirePeers, type NetnsPair } from '../../test/lab/netns/netns.js';
import { startRemoteBootServices, type RemoteBootServices } from '../../test/lab/netns/remote-boot-services.js';
import { delay, makeTempDir } from '../../test/lab/peers/common.js';
import { createQemuPxeClient, requireQemu, type QemuFirmware, type QemuPxeClient } from '../../test/lab/qemu/qemu-pxe.js';
import { pxePhases } from './pxe-phases.js';
import { repeat, type RepeatOptions } from './repeat.js';
import { skippedStep, stepFromOutcome, type LabStepResult, type StepDefinition } from './step-result.js';

export interface PxeSteps {
  /** QEMU start until the HTTP request for the install script. */
  toScript: StepDefinition;
  /** QEMU start until the first DHCP ack. */
  toDhcp: StepDefinition;
  /** The DHCP ack that handed out the script URL until the script's request: iPXE's own wait. */
  ackToScript: StepDefinition;
  /** TFTP of the boot binary (firmware PXE only). */
  tftp?: StepDefinition;
}

const IPXE_WAIT_NOTE =
  "iPXE prints 'Configuring (net0 ...)' with a dot a second for this whole gap after our ACK; most likely its IPv6 autoconfiguration waiting for a router advertisement (there is no IPv6 router on the lab's bridge): not verified";

export const PXE_STEPS: Record<'bios' | 'uefi-native', PxeSteps> = {
  bios: {
    toScript: {
      name: 'qemu-pxe-to-install-script',
      what: 'QEMU (TCG, SeaBIOS, e1000 with iPXE pxe-e1000.rom) from start until our HTTP server logs the request for the install script /boot/<mac>.ipxe (firmware, iPXE init, DHCP, iPXE configuration wait, HTTP)',
      note: 'TCG, no KVM; the NIC ROM is iPXE itself, so there is no TFTP step (DHCP hands it the script URL); QEMU starts in a fraction of the time a server POSTs (hostPostSeconds is not in this number)',
    },
    toDhcp: {
      name: 'qemu-pxe-to-dhcp-ack',
      what: 'same runs: from QEMU start until our DHCP server acks the lease with the script URL (SeaBIOS + iPXE start + DHCP exchange)',
      note: 'TCG, no KVM; includes SeaBIOS and the option ROM start, which a real server does inside its POST',
    },
    ackToScript: {
      name: 'qemu-pxe-dhcp-ack-to-install-script',
      what: 'same runs: from our DHCP ack (with the script URL) until the HTTP request for the install script',
      note: IPXE_WAIT_NOTE,
    },
  },
  'uefi-native': {
    toScript: {
      name: 'qemu-uefi-pxe-to-install-script',
      what: "QEMU (TCG, q35, OVMF's own PXE on virtio-net) from start until our HTTP server logs the request for the install script (OVMF start, DHCP, TFTP of ipxe.efi, iPXE DHCP, iPXE configuration wait, HTTP)",
      note: 'TCG, no KVM; the flow of real servers (firmware PXE, TFTP, then iPXE)',
    },
    toDhcp: {
      name: 'qemu-uefi-pxe-to-dhcp-ack',
      what: "same runs: from QEMU start until our DHCP server acks the firmware's first lease (OVMF start + DHCP exchange)",
      note: 'TCG, no KVM',
    },
    ackToScript: {
      name: 'qemu-uefi-pxe-ipxe-ack-to-install-script',
      what: "same runs: from our DHCP ack to iPXE (ipxe.efi, with the script URL) until the HTTP request for the install script",
      note: IPXE_WAIT_NOTE,
    },
    tftp: {
      name: 'qemu-uefi-pxe-tftp-ipxe-efi',
      what: "same runs: our TFTP server's transfer of ipxe.efi (about 850 KB) to OVMF, from the read request to the last acknowledged block",
      note: 'over a veth and a bridge on one machine: no wire, no switch, no packet loss',
    },
  },
};

const MAC = '52:54:00:3d:00:01';
const HOST = 'lab-pxe-1';
const HTTP_PORT = 8080;
/** One run's bound: TCG on a loaded 2-core machine (an idle one needs 5-30 s). */
const RUN_TIMEOUT_MS = 180_000;

interface PxeLab {
  ns: NetnsPair;
  boot: RemoteBootServices;
  qemu: QemuPxeClient;
  stop(): Promise<void>;
}

async function startPxeLab(firmware: QemuFirmware): Promise<PxeLab> {
  await requirePeers([{ cmd: 'ip', args: ['-V'], pkg: 'iproute2' }]);
  requireQemu(firmware);
  const tmp = makeTempDir('lab-steps-pxe');
  const cleanups: Array<() => Promise<void> | void> = [() => tmp.remove()];
  const stop = async () => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch (e) {
        console.error(`lab-steps PXE cleanup: ${String(e)}`);
      }
    }
  };
  try {
    const ns = await createNetnsPair();
    cleanups.push(() => ns.destroy());
    await addClientBridge(ns, { taps: ['tap0'] });
    const files = join(tmp.dir, 'files');
    const kickstart = join(tmp.dir, 'kickstart');
    mkdirSync(files);
    mkdirSync(kickstart);
    // Served but never reached: QEMU is stopped once the install script is asked for.
    writeFileSync(join(files, 'vmlinuz'), '#!ipxe\necho 3RC lab-steps: stopped before the kernel\nsleep 60\n');
    writeFileSync(join(files, 'initrd.img'), Buffer.alloc(4096, 7));
    writeFileSync(join(kickstart, 'default.ks.tpl'), '#!ipxe\necho 3RC lab-steps: no install here\nsleep 60\n');
    const boot = await startRemoteBootServices(ns, {
      address: ns.serverIp,
      dhcpPort: 67,
      tftpPort: 69,
      httpPort: HTTP_PORT,
      filesRoot: files,
      kickstartTemplates: kickstart,
      hosts: [{ name: HOST, macs: [MAC], ip: ns.serverIp.replace(/\.1$/, '.50'), install: { template: 'default' } }],
      leaseSeconds: 600,
    });
    cleanups.push(() => boot.stop());
    const qemu = createQemuPxeClient({ firmware, netns: ns.clientNs, tap: 'tap0', mac: MAC });
    // Registered last so it runs first: the machine goes before the namespaces holding its tap.
    cleanups.push(() => qemu.kill());
    return { ns, boot, qemu, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Stops the machine through its own stop script (bounded: TERM, 3 s, KILL) and checks it is gone. */
function stopMachine(qemu: QemuPxeClient): void {
  execFileSync('sh', ['-c', qemu.scripts.stop], { stdio: 'ignore', timeout: 15_000, killSignal: 'SIGKILL' });
  if (qemu.isRunning()) throw new Error(`QEMU ${qemu.marker} still runs after its stop script`);
}

export async function measurePxeSteps(firmware: 'bios' | 'uefi-native', opts: RepeatOptions): Promise<LabStepResult[]> {
  const defs = PXE_STEPS[firmware];
  const derived = [defs.toDhcp, defs.ackToScript, ...(defs.tftp ? [defs.tftp] : [])];
  let lab: PxeLab;
  try {
    lab = await startPxeLab(firmware);
  } catch (e) {
    const reason = `PXE lab did not start: ${e instanceof Error ? e.message : String(e)}`;
    return [defs.toScript, ...derived].map((d) => skippedStep(d, reason));
  }
  const { boot, qemu } = lab;
  const samples = new Map<string, number[]>(derived.map((d) => [d.name, []]));
  const add = (d: StepDefinition | undefined, v: number | undefined) => {
    if (d && v !== undefined) samples.get(d.name)!.push(v);
  };
  try {
    const outcome = await repeat(defs.toScript.name, opts, async () => {
      if (qemu.isRunning()) stopMachine(qemu);
      boot.setNetboot(MAC, true);
      if (!(await boot.netbootOf(MAC))) throw new Error('the boot services did not turn netboot on');
      const t0 = Date.now();
      try {
        qemu.start('pxe');
        const deadline = t0 + RUN_TIMEOUT_MS;
        for (let poll = 1; ; poll++) {
          const p = pxePhases(boot.milestones, HOST, t0);
          if (p.script !== undefined) {
            add(defs.toDhcp, p.firstAck);
            add(defs.ackToScript, p.ackBeforeScript === undefined ? undefined : p.script - p.ackBeforeScript);
            add(defs.tftp, p.tftpStart === undefined || p.tftpDone === undefined ? undefined : p.tftpDone - p.tftpStart);
            const seen = boot.milestones.filter((m) => m.host === HOST && m.at >= t0);
            opts.log?.(`  milestones: ${seen.map((m) => `${m.name} +${((m.at - t0) / 1000).toFixed(2)} s (${m.detail ?? ''})`).join(', ')}`);
            if (process.env['LAB_STEPS_DEBUG'] === '1') opts.log?.(`  console:\n${qemu.console().slice(-3000)}`);
            return p.script;
          }
          if (boot.errors().length) throw new Error(`boot services: ${boot.errors().join('; ')}`);
          // isRunning() runs a shell: every 2 s, not at every 100 ms poll.
          if (poll % 20 === 0 && !qemu.isRunning()) throw new Error(`QEMU stopped before asking for the install script; console tail: ${qemu.console().slice(-400)}`);
          if (Date.now() > deadline) {
            const seen = boot.milestones.filter((m) => m.at >= t0).map((m) => `${m.name} ${m.detail ?? ''}`);
            throw new Error(`no install-script request within ${RUN_TIMEOUT_MS} ms; milestones: ${seen.join(', ') || 'none'}; console tail: ${qemu.console().slice(-400)}`);
          }
          await delay(100);
        }
      } finally {
        stopMachine(qemu);
      }
    });
    return [stepFromOutcome(defs.toScript, outcome), ...derived.map((d) => stepFromOutcome(d, { samples: samples.get(d.name)!, failures: [] }))];
  } finally {
    await lab.stop();
  }
}
