/**
 * A gzipped cpio archive in the "newc" format the Linux kernel unpacks as its initramfs, written
 * here rather than by cpio(1) so that it can hold a device node (/dev/console, which the kernel
 * opens before running /init) without mknod or root. Parent directories are added automatically.
 */
import { gzipSync } from 'node:zlib';

export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Buffer | string; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(len: number): Buffer {
  return Buffer.alloc((4 - (len % 4)) % 4);
}

function record(ino: number, name: string, mode: number, data: Buffer, rdev: [number, number] = [0, 0]): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
  const header = Buffer.from(`070701${fields.map(hex8).join('')}`, 'ascii');
  return [header, nameBytes, pad4(header.length + nameBytes.length), data, pad4(data.length)];
}

/** Archive paths are relative ("bin/sh"); a leading slash is dropped. */
export function buildInitramfs(entries: CpioEntry[]): Buffer {
  const seen = new Set<string>();
  const ordered: CpioEntry[] = [];
  const addDir = (path: string): void => {
    if (path === '' || seen.has(path)) return;
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    addDir(parent);
    seen.add(path);
    ordered.push({ kind: 'dir', path });
  };
  for (const e of entries) {
    const path = e.path.replace(/^\/+/, '');
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    addDir(parent);
    if (e.kind === 'dir') {
      addDir(path);
      continue;
    }
    if (seen.has(path)) throw new Error(`initramfs: ${path} listed twice`);
    seen.add(path);
    ordered.push({ ...e, path });
  }
  const parts: Buffer[] = [];
  ordered.forEach((e, i) => {
    const ino = i + 1;
    switch (e.kind) {
      case 'dir':
        parts.push(...record(ino, e.path, S_IFDIR | (e.mode ?? 0o755), Buffer.alloc(0)));
        break;
      case 'file':
        parts.push(...record(ino, e.path, S_IFREG | (e.mode ?? 0o644), Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data, 'utf8')));
        break;
      case 'symlink':
        parts.push(...record(ino, e.path, S_IFLNK | 0o777, Buffer.from(e.target, 'utf8')));
        break;
      case 'chardev':
        parts.push(...record(ino, e.path, S_IFCHR | (e.mode ?? 0o600), Buffer.alloc(0), [e.major, e.minor]));
        break;
    }
  });
  parts.push(...record(0, 'TRAILER!!!', 0, Buffer.alloc(0)));
  return gzipSync(Buffer.concat(parts));
}
