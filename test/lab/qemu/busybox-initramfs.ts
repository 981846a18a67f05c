/**
 * What every test guest's busybox initramfs shares: the start of /init (mount the kernel's file
 * systems, a `say` that tags console lines, load the test kernel's modules in dependency order)
 * and the files behind it (busybox and its applets, extra Debian programs, the libraries of all of
 * them from ldd at the same paths, the modules, /dev/console). Each guest adds the rest of its
 * /init and its own files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireBinary } from '../peers/common.js';
import { buildInitramfs, type CpioEntry } from './newc-cpio.js';
import { sharedLibraries } from './shared-libraries.js';
import { moduleLoadOrder, type TestKernel } from './test-kernel.js';

/** The first lines of /init: file systems, `say "<tag> ..."`, the modules of /lib/modules/load-order. */
export function initPreamble(tag: string): string {
  return `#!/bin/sh
export PATH=/bin
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
say() { echo "${tag} $*"; }
say "init started"
for m in $(cat /lib/modules/load-order); do
  insmod "/lib/modules/$m.ko" || say "insmod $m failed"
done
`;
}

export interface BusyboxInitramfs {
  kernel: TestKernel;
  /** The whole /init script (starting with initPreamble). */
  init: string;
  /** Modules to load; their dependencies are added (moduleLoadOrder). */
  modules: string[];
  applets: string[];
  /** [program, Debian package] copied to /bin/<program>, with their libraries. */
  programs?: [string, string][];
  /** The guest's own files and directories. */
  extra?: CpioEntry[];
}

export function buildBusyboxInitramfs(o: BusyboxInitramfs): Buffer {
  const busybox = requireBinary('busybox', 'busybox');
  const programs = (o.programs ?? []).map(([name, pkg]) => ({ name, path: requireBinary(name, pkg) }));
  const libs = [...new Set([busybox, ...programs.map((p) => p.path)].flatMap(sharedLibraries))];
  const order = moduleLoadOrder(o.kernel.modulesDir, o.modules);
  const entries: CpioEntry[] = [
    { kind: 'file', path: 'init', data: o.init, mode: 0o755 },
    { kind: 'file', path: 'bin/busybox', data: readFileSync(busybox), mode: 0o755 },
    ...o.applets.map((a): CpioEntry => ({ kind: 'symlink', path: `bin/${a}`, target: 'busybox' })),
    ...programs.map((p): CpioEntry => ({ kind: 'file', path: `bin/${p.name}`, data: readFileSync(p.path), mode: 0o755 })),
    ...libs.map((lib): CpioEntry => ({ kind: 'file', path: lib, data: readFileSync(lib), mode: 0o755 })),
    ...order.map((m): CpioEntry => ({ kind: 'file', path: `lib/modules/${m}.ko`, data: readFileSync(join(o.kernel.modulesDir, `${m}.ko`)) })),
    { kind: 'file', path: 'lib/modules/load-order', data: `${order.join('\n')}\n` },
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'dir', path: 'proc' },
    { kind: 'dir', path: 'sys' },
    ...(o.extra ?? []),
  ];
  return buildInitramfs(entries);
}
