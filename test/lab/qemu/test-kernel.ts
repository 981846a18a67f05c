/**
 * The Debian kernel that scripts/setup.sh extracts into .cache/test-kernel/ (vmlinuz plus the few
 * modules a busybox initramfs needs), and the order to insmod them in: each module's `depends=`
 * (from its .modinfo section; there is no modules.dep in an extracted package) comes first.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEST_KERNEL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../.cache/test-kernel');

export interface TestKernel {
  vmlinuz: string;
  /** The Debian package it came from (e.g. linux-image-6.1.0-57-amd64). */
  debianPackage: string;
  modulesDir: string;
}

/** The cached kernel, or the reason it is not there (the boot test skips with it). */
export function findTestKernel(dir = TEST_KERNEL_DIR): TestKernel | { missing: string } {
  const vmlinuz = join(dir, 'vmlinuz');
  if (!existsSync(vmlinuz)) {
    return { missing: `no test kernel at ${vmlinuz}: run scripts/setup.sh (it runs apt-get download of the linux-image-*-amd64 package that linux-image-amd64 depends on and extracts it there)` };
  }
  const pkgFile = join(dir, 'package');
  return { vmlinuz, debianPackage: existsSync(pkgFile) ? readFileSync(pkgFile, 'utf8').trim() : 'unknown', modulesDir: join(dir, 'modules') };
}

/** The `depends=` list of a .ko file's modinfo. */
export function moduleDepends(koPath: string): string[] {
  const bytes = readFileSync(koPath);
  const at = bytes.indexOf('\0depends=');
  if (at < 0) return [];
  const end = bytes.indexOf(0, at + 1);
  const value = bytes.subarray(at + '\0depends='.length, end < 0 ? undefined : end).toString('latin1');
  return value.split(',').filter(Boolean);
}

/** `wanted` and their dependencies, dependencies first; a module absent from the cache is an error. */
export function moduleLoadOrder(modulesDir: string, wanted: string[]): string[] {
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string): void => {
    if (order.includes(name)) return;
    if (visiting.has(name)) throw new Error(`module dependency cycle through ${name}`);
    const ko = join(modulesDir, `${name}.ko`);
    if (!existsSync(ko)) throw new Error(`module ${name} is not in ${modulesDir}: add it to TEST_KERNEL_MODULES in scripts/setup.sh and remove .cache/test-kernel`);
    visiting.add(name);
    for (const dep of moduleDepends(ko)) visit(dep);
    visiting.delete(name);
    order.push(name);
  };
  for (const w of wanted) visit(w);
  return order;
}
