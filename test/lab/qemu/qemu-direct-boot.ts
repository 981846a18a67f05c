/**
 * A QEMU machine booted straight from a kernel and initramfs (no firmware boot path), for the
 * host-on-demand boot test and the watchdog test: TCG only, no default NIC (-nic none; a test adds
 * its own through extraArgs), the overlay as a virtio disk, the NoCloud seed as an IDE cdrom, the
 * serial console to a file.
 *
 * QEMU runs in the foreground as a child of the test; it carries the same `-name rrcqemu-<pid>-<hex>`
 * marker as the PXE machines, so killStaleQemu() sweeps what a killed test run left behind, and
 * `kill()` (call it from after()/finally) leaves nothing running.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { delay, requireBinary, spawnPeer, stopChild } from '../peers/common.js';
import { killStaleQemu } from './qemu-pxe.js';

/** Serial console, quiet boot, no reboot on panic: what the busybox test guests run with. */
export const SERIAL_CONSOLE_APPEND = 'console=ttyS0 quiet loglevel=3 panic=-1 tsc=unstable';

export interface DirectBootOptions {
  dir: string;
  kernel: string;
  initramfs: string;
  /** Kernel command line (console=ttyS0 is required for the serial log); default SERIAL_CONSOLE_APPEND. */
  append?: string;
  /** qcow2 disk attached as virtio (vda). */
  disk?: string;
  /** ISO attached read-only as the IDE cdrom (sr0). */
  cdrom?: string;
  memoryMb?: number;
  /** More QEMU arguments (devices, -action, a QMP socket). */
  extraArgs?: string[];
}

export interface DirectBootMachine {
  readonly marker: string;
  readonly serialLog: string;
  /** Serial console so far, CR and terminal escapes removed. */
  console(): string;
  exited(): boolean;
  /** Date.now() when QEMU's process ended, once it has. */
  exitedAt(): number | undefined;
  /** QEMU's own stdout/stderr (why it refused to start), for failure messages. */
  output(): string;
  /** Waits until `done` holds or QEMU exits, at most timeoutMs; returns the console. */
  waitFor(done: (consoleText: string) => boolean, timeoutMs: number): Promise<string>;
  kill(): Promise<void>;
}

/** A path inside QEMU's -drive option list: commas are doubled. */
const driveFile = (path: string): string => path.replace(/,/g, ',,');

export function bootDirect(opts: DirectBootOptions): DirectBootMachine {
  const qemu = requireBinary('qemu-system-x86_64', 'qemu-system-x86');
  killStaleQemu();
  const marker = `rrcqemu-${process.pid}-${randomBytes(4).toString('hex')}`;
  const serialLog = join(opts.dir, 'serial.log');
  const args = [
    '-name', marker, '-accel', 'tcg', '-machine', 'pc', '-m', String(opts.memoryMb ?? 256), '-smp', '1',
    '-nodefaults', '-no-user-config', '-display', 'none', '-monitor', 'none', '-nic', 'none',
    '-serial', `file:${serialLog}`, '-no-reboot',
    '-kernel', opts.kernel, '-initrd', opts.initramfs, '-append', opts.append ?? SERIAL_CONSOLE_APPEND,
    ...(opts.disk ? ['-drive', `file=${driveFile(opts.disk)},format=qcow2,if=virtio`] : []),
    ...(opts.cdrom ? ['-drive', `file=${driveFile(opts.cdrom)},format=raw,if=ide,index=2,media=cdrom,readonly=on`] : []),
    ...(opts.extraArgs ?? []),
  ];
  const peer = spawnPeer(qemu, args);
  let endedAt: number | undefined;
  peer.child.once('exit', () => {
    endedAt = Date.now();
  });
  const consoleText = (): string =>
    existsSync(serialLog) ? readFileSync(serialLog, 'utf8').replace(/\x1b\[[0-9;?=]*[A-Za-z]/g, '').replace(/\r/g, '') : '';
  const exited = (): boolean => peer.child.exitCode !== null || peer.child.signalCode !== null;
  return {
    marker,
    serialLog,
    console: consoleText,
    exited,
    exitedAt: () => endedAt,
    output: () => peer.output(),
    waitFor: async (done, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const text = consoleText();
        if (done(text) || exited()) return text;
        await delay(250);
      }
      return consoleText();
    },
    kill: async () => {
      await stopChild(peer.child, 500);
    },
  };
}

