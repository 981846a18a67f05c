/**
 * Erasure at the end of a lease: the overlay (everything the borrower wrote) is zeroed or just
 * deleted. The base image is never opened: the file erased must be a qcow2 with a backing file
 * (an overlay), not a symlink, and is first renamed to `<overlay>.erasing`, so a crash halfway
 * through is finished by the next call instead of being refused as a broken image.
 */
import { lstat, open, rename, rm } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { RrcError } from '../../errors.js';
import type { EraseReport } from '../catalogue-types.js';
import { imageInfo } from './image-info.js';

export interface EraseOverlayRequest {
  overlayPath: string;
  /** overwrite: zero every byte of the file, then delete; discard: delete. */
  mode: 'overwrite' | 'discard';
  signal?: AbortSignal;
}

const CHUNK = 1024 * 1024;

async function statOrUndefined(path: string): Promise<Awaited<ReturnType<typeof lstat>> | undefined> {
  try {
    return await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RrcError('RRC_ERR_DRIVER', `cannot stat ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Writes zeros over the file's bytes in 1 MiB chunks (one chunk in memory), then syncs it. */
async function zeroFile(path: string, signal?: AbortSignal): Promise<number> {
  const fh = await open(path, 'r+');
  try {
    const { size } = await fh.stat();
    const zeros = Buffer.alloc(Math.min(CHUNK, Math.max(size, 1)));
    let written = 0;
    // Bounded: size / CHUNK iterations, each a positioned write that cannot run past the end.
    while (written < size) {
      if (signal?.aborted) throw new RrcError('RRC_ERR_ABORTED', `erasing ${path} at byte ${written}`);
      const n = Math.min(zeros.length, size - written);
      const { bytesWritten } = await fh.write(zeros, 0, n, written);
      if (bytesWritten <= 0) throw new RrcError('RRC_ERR_DRIVER', `erasing ${path}: write returned ${bytesWritten} at byte ${written}`);
      written += bytesWritten;
    }
    await fh.sync();
    return written;
  } finally {
    await fh.close();
  }
}

/** Refuses anything but a regular qcow2 file with a backing file: a base image is never erased. */
async function checkIsOverlay(path: string, signal?: AbortSignal): Promise<void> {
  const st = await lstat(path);
  if (!st.isFile()) throw new RrcError('RRC_ERR_CONFLICT', `${path} is not a regular file (a symlink or device is never erased)`);
  const info = await imageInfo(path, signal);
  if (info.format !== 'qcow2' || !(info.backingFilename ?? info.fullBackingFilename)) {
    throw new RrcError('RRC_ERR_CONFLICT', `${path} is not an overlay (${info.format}, no backing file): refusing to erase it`);
  }
}

export async function eraseOverlay(req: EraseOverlayRequest): Promise<EraseReport> {
  const { overlayPath, mode, signal } = req;
  if (!isAbsolute(overlayPath)) throw new RrcError('RRC_ERR_VALIDATION', `overlay path must be absolute: ${overlayPath}`);
  if (mode !== 'overwrite' && mode !== 'discard') throw new RrcError('RRC_ERR_VALIDATION', `erase mode must be overwrite or discard, not ${String(mode)}`);
  const erasing = `${overlayPath}.erasing`;

  if (await statOrUndefined(overlayPath)) {
    await checkIsOverlay(overlayPath, signal);
    // A half-finished earlier erasure of an older copy is superseded by this one.
    await rm(erasing, { force: true });
    await rename(overlayPath, erasing);
  } else {
    const left = await statOrUndefined(erasing);
    if (!left) return { overlayPath, method: 'absent', bytesOverwritten: 0 };
    if (!left.isFile()) throw new RrcError('RRC_ERR_CONFLICT', `${erasing} is not a regular file: refusing to erase it`);
  }

  const bytesOverwritten = mode === 'overwrite' ? await zeroFile(erasing, signal) : 0;
  await rm(erasing, { force: true });
  return { overlayPath, method: mode, bytesOverwritten };
}
