/**
 * Reads bytes of a disk image at a guest offset, through its backing chain (qemu-io, read-only,
 * force-share). For tests that check what a guest wrote into an overlay.
 */
import { execFileSync } from 'node:child_process';
import { requireBinary } from '../peers/common.js';

export function readImageBytes(image: string, format: 'qcow2' | 'raw', offset: number, length: number): Buffer {
  const qemuIo = requireBinary('qemu-io', 'qemu-utils');
  const out = execFileSync(qemuIo, ['-r', '-U', '-f', format, '-c', `read -v ${offset} ${length}`, image], { encoding: 'utf8', timeout: 60_000 });
  const bytes: number[] = [];
  for (const line of out.split('\n')) {
    const m = /^[0-9a-f]+:\s+((?:[0-9a-f]{2} )+)/.exec(line);
    if (m?.[1]) bytes.push(...m[1].trim().split(' ').map((h) => parseInt(h, 16)));
  }
  if (bytes.length !== length) throw new Error(`qemu-io read ${bytes.length} of ${length} bytes at ${offset} of ${image}:\n${out}`);
  return Buffer.from(bytes);
}
