/**
 * The shared libraries a host program needs, for copying it into a busybox initramfs at the same
 * paths (Debian's binaries are dynamically linked; the dynamic loader is among the paths).
 */
import { execFileSync } from 'node:child_process';

/** Absolute paths of the shared libraries `program` needs (from ldd). */
export function sharedLibraries(program: string): string[] {
  const out = execFileSync('ldd', [program], { encoding: 'utf8', timeout: 10_000 });
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m?.[1]) libs.push(m[1]);
  }
  return libs;
}
