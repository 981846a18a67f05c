/**
 * Lab step 4: the host-on-demand test machine (test/lab/qemu: Debian's kernel from
 * .cache/test-kernel, a busybox initramfs that plays cloud-init's part) booted by QEMU straight
 * from kernel + initramfs, TCG, no network, a fresh qcow2 overlay per run and the NoCloud seed as
 * its cdrom, as the boot test does. Each run is timed from spawning QEMU to two console lines:
 * `RRC-GUEST init started` (the kernel is up and runs /init: the boot) and `RRC-GUEST done`
 * (the seed read, the owner's key installed, the disk written: the first-boot work).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execFileSync } from 'node:child_process';
import type { FirstBootData } from '../../src/on-demand/catalogue-types.js';
import { buildNoCloudSeed, createOverlay } from '../../src/on-demand/images/index.js';
import { delay, makeTempDir } from '../../test/lab/peers/common.js';
import { bootDirect, type DirectBootMachine } from '../../test/lab/qemu/qemu-direct-boot.js';
import { buildSeedReaderInitramfs, GUEST_TAG } from '../../test/lab/qemu/seed-reader-initramfs.js';
import { findTestKernel } from '../../test/lab/qemu/test-kernel.js';
import { repeat, type RepeatOptions } from './repeat.js';
import { skippedStep, stepFromOutcome, type LabStepResult, type StepDefinition } from './step-result.js';

export const GUEST_BOOT: StepDefinition = {
  name: 'guest-boot-direct-kernel',
  what: `QEMU (TCG, 1 vCPU, 256 MiB, -kernel/-initrd, no firmware boot path) from spawn until the guest's /init prints "${GUEST_TAG} init started" on the serial console`,
  note: 'software emulation (TCG, no KVM) of a Debian kernel with a busybox initramfs: no systemd, no services, no network; a hardware-virtualised general-purpose guest is faster per instruction and has far more to start',
};

export const GUEST_FIRST_BOOT: StepDefinition = {
  name: 'guest-first-boot-done',
  what: `same runs: from spawning QEMU until "${GUEST_TAG} done" (modules loaded, NoCloud seed mounted, hostname and owner key set, a write to its overlay synced)`,
  note: 'TCG, no KVM; the first-boot work of a lent machine (what cloud-init does), not a service start',
};

/** One run's bound: a loaded 2-core machine under TCG; an idle one boots in well under a minute. */
const RUN_TIMEOUT_MS = 240_000;
const READY = `${GUEST_TAG} init started`;
const DONE = `${GUEST_TAG} done`;

const DATA: FirstBootData = {
  instanceId: 'lab-steps-0001',
  hostname: 'lab-steps-guest',
  owner: 'bench',
  sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHb3rcLabStepsBenchKeyOnlyXXXXXXXXXXXXXXXXXXXX bench@lab'],
  middleware: [],
};

export async function measureGuestBootSteps(opts: RepeatOptions): Promise<LabStepResult[]> {
  const kernel = findTestKernel();
  if ('missing' in kernel) return [skippedStep(GUEST_BOOT, kernel.missing), skippedStep(GUEST_FIRST_BOOT, kernel.missing)];
  const tmp = makeTempDir('lab-steps-guest');
  const live: { machine?: DirectBootMachine } = {};
  try {
    const raw = join(tmp.dir, 'base.raw');
    writeFileSync(raw, Buffer.alloc(16 * 1024 * 1024));
    const base = join(tmp.dir, 'base.qcow2');
    execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, base], { timeout: 60_000, killSignal: 'SIGKILL' });
    const seed = await buildNoCloudSeed({ dir: join(tmp.dir, 'seeds'), data: DATA });
    const initramfs = join(tmp.dir, 'initramfs.gz');
    writeFileSync(initramfs, buildSeedReaderInitramfs(kernel));

    const done: number[] = [];
    const doneFailures: string[] = [];
    const outcome = await repeat(GUEST_BOOT.name, opts, async (i) => {
      const runDir = makeTempDir(`lab-steps-guest-run${i}`);
      try {
        const overlayPath = join(runDir.dir, 'overlay.qcow2');
        await createOverlay({ baseImage: base, format: 'qcow2', overlayPath, sizeGb: 1 });
        const t0 = performance.now();
        const machine = bootDirect({
          dir: runDir.dir, kernel: kernel.vmlinuz, initramfs, append: 'console=ttyS0 quiet loglevel=3 panic=-1 tsc=unstable',
          disk: overlayPath, cdrom: seed,
        });
        live.machine = machine;
        let ready: number | undefined;
        const deadline = Date.now() + RUN_TIMEOUT_MS;
        // Poll the serial log; 100 ms steps against boots of tens of seconds.
        for (;;) {
          const text = machine.console();
          const at = (performance.now() - t0) / 1000;
          if (ready === undefined && text.includes(READY)) ready = at;
          if (text.includes(DONE)) {
            done.push(at);
            break;
          }
          if (machine.exited() || Date.now() > deadline) {
            const why = machine.exited() ? 'QEMU exited' : `no "${DONE}" within ${RUN_TIMEOUT_MS} ms`;
            doneFailures.push(why);
            if (ready !== undefined) break;
            throw new Error(`${why} before "${READY}"; console tail: ${text.slice(-300)} qemu: ${machine.output().slice(-300)}`);
          }
          await delay(100);
        }
        if (ready === undefined) throw new Error(`"${DONE}" without "${READY}" on the console`);
        return ready;
      } finally {
        await live.machine?.kill();
        live.machine = undefined;
        runDir.remove();
      }
    });
    return [stepFromOutcome(GUEST_BOOT, outcome), stepFromOutcome(GUEST_FIRST_BOOT, { samples: done, failures: doneFailures })];
  } catch (e) {
    const reason = `lab set-up failed: ${e instanceof Error ? e.message : String(e)}`;
    return [skippedStep(GUEST_BOOT, reason), skippedStep(GUEST_FIRST_BOOT, reason)];
  } finally {
    await live.machine?.kill();
    tmp.remove();
  }
}
