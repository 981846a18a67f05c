/**
 * The real boot of a requested machine (issue 11): QEMU (TCG, no network) boots Debian's kernel
 * with a busybox initramfs, its disk an overlay made by createOverlay over a base image this test
 * builds, its first-boot data the NoCloud seed made by buildNoCloudSeed as an IDE cdrom. The guest
 * (test/lab/qemu/seed-reader-initramfs.ts) sets the hostname and installs the owner's key from the
 * seed and prints both on the serial console; it also writes into its disk. Then the overlay holds
 * that write, the base image is byte for byte unchanged, and erasure removes the overlay.
 *
 * The kernel comes from scripts/setup.sh (.cache/test-kernel/); without it the test skips and says so.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { FirstBootData } from '../../../src/on-demand/catalogue-types.js';
import { buildNoCloudSeed, createOverlay, eraseOverlay, removeSeed } from '../../../src/on-demand/images/index.js';
import { makeTempDir } from '../../lab/peers/common.js';
import { readImageBytes } from '../../lab/qemu/image-bytes.js';
import { bootDirect, type DirectBootMachine } from '../../lab/qemu/qemu-direct-boot.js';
import { DISK_MARKER_OFFSET, DISK_MARKER_PREFIX, GUEST_TAG, buildSeedReaderInitramfs } from '../../lab/qemu/seed-reader-initramfs.js';
import { findTestKernel } from '../../lab/qemu/test-kernel.js';

const kernel = findTestKernel();
/** Generous: a loaded 2-core machine under TCG; the boot takes well under a minute when idle. */
const BOOT_TIMEOUT_MS = 200_000;
const BASE_HEADER = 'RRC-BASE-IMAGE v1 (read-only)';

const OWNER_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHb3rcTestKeyForTheBootTestOnlyXXXXXXXXXXXXXXX alice@laptop';
const data: FirstBootData = {
  instanceId: 'req-boot-0001',
  hostname: 'lent-alice-1',
  owner: 'alice',
  sshAuthorizedKeys: [OWNER_KEY],
  middleware: [{ name: 'htcondor', description: 'HTCondor worker', packages: ['htcondor'], firstBoot: ['systemctl enable --now condor'] }],
};

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const qemuImg = (args: string[]): string => execFileSync('qemu-img', args, { encoding: 'utf8', timeout: 60_000 });

/** A 16 MiB raw disk starting with a known header, converted to qcow2: the catalogue's base image. */
function buildBaseImage(dir: string): string {
  const raw = join(dir, 'base.raw');
  const disk = Buffer.alloc(16 * 1024 * 1024);
  disk.write(BASE_HEADER, 0, 'ascii');
  writeFileSync(raw, disk);
  const base = join(dir, 'base.qcow2');
  qemuImg(['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, base]);
  return base;
}

const guestLines = (text: string): string[] =>
  text.split('\n').filter((l) => l.startsWith(`${GUEST_TAG} `)).map((l) => l.slice(GUEST_TAG.length + 1).trimEnd());

test(
  'a requested machine boots under QEMU from an overlay and receives its hostname and owner key from the seed',
  { skip: 'missing' in kernel ? kernel.missing : false, timeout: BOOT_TIMEOUT_MS + 90_000 },
  async (t) => {
    if ('missing' in kernel) return;
    const tmp = makeTempDir('on-demand-boot');
    const live: { machine?: DirectBootMachine } = {};
    after(async () => {
      await live.machine?.kill();
      tmp.remove();
    });

    const base = buildBaseImage(tmp.dir);
    const baseHash = sha256(base);
    const overlayPath = join(tmp.dir, 'overlays', `${data.instanceId}.qcow2`);
    await createOverlay({ baseImage: base, format: 'qcow2', overlayPath, sizeGb: 1 });
    const seed = await buildNoCloudSeed({ dir: join(tmp.dir, 'seeds'), data });
    const initramfs = join(tmp.dir, 'initramfs.gz');
    writeFileSync(initramfs, buildSeedReaderInitramfs(kernel));

    const started = Date.now();
    const machine = bootDirect({
      dir: tmp.dir,
      kernel: kernel.vmlinuz,
      initramfs,
      disk: overlayPath,
      cdrom: seed,
    });
    live.machine = machine;
    const text = await machine.waitFor((t) => guestLines(t).includes('done'), BOOT_TIMEOUT_MS);
    const lines = guestLines(text);
    const context = `guest said:\n${lines.join('\n')}\n--- console tail ---\n${text.slice(-3000)}\n--- qemu ---\n${machine.output()}`;
    assert.ok(lines.includes('done'), `the guest did not finish within ${BOOT_TIMEOUT_MS} ms\n${context}`);

    assert.ok(lines.includes(`hostname=${data.hostname}`), `hostname from the seed\n${context}`);
    assert.ok(lines.includes(`instance-id=${data.instanceId}`), `instance id from the seed\n${context}`);
    assert.deepEqual(lines.filter((l) => l.startsWith('authorized_key=')), [`authorized_key=${OWNER_KEY}`], `owner key from the seed\n${context}`);
    assert.ok(lines.includes(`disk-head=${BASE_HEADER}`), `the overlay reads through to the base image\n${context}`);
    assert.ok(lines.includes('disk-write=done'), context);

    // The guest resets itself and -no-reboot ends QEMU; kill() covers a guest that did not.
    await machine.waitFor(() => false, 60_000);
    assert.ok(machine.exited(), 'QEMU ended when the guest reset');
    t.diagnostic(`${kernel.debianPackage}: booted, read its seed and ended in ${Math.round((Date.now() - started) / 1000)} s`);
    await machine.kill();

    // Its write is in the overlay; the base image did not change by a byte.
    const written = readImageBytes(overlayPath, 'qcow2', DISK_MARKER_OFFSET, 64).toString('latin1');
    assert.match(written, new RegExp(`^${DISK_MARKER_PREFIX} ${data.hostname}\\n`));
    assert.equal(readImageBytes(base, 'qcow2', DISK_MARKER_OFFSET, 64).toString('latin1'), '\0'.repeat(64), 'the write is not in the base');
    assert.equal(sha256(base), baseHash, 'base image unchanged by the boot');

    const report = await eraseOverlay({ overlayPath, mode: 'overwrite' });
    assert.equal(report.method, 'overwrite');
    assert.ok(report.bytesOverwritten > 0);
    assert.equal(existsSync(overlayPath), false, 'overlay gone after erasure');
    await removeSeed(seed);
    assert.equal(existsSync(seed), false);
    assert.equal(sha256(base), baseHash, 'base image unchanged by the erasure');
  },
);
