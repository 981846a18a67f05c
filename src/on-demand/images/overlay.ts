/**
 * A lent machine's disk: a qcow2 copy-on-write overlay of the catalogue's base image. The base is
 * only ever named as the backing file (read-only for QEMU); every write lands in the overlay.
 *
 * Idempotent for a restarted request service: an overlay already there with the same backing
 * file, backing format and size is accepted; anything else at that path is refused (never
 * overwritten: it may be another machine's disk). The overlay is created under a temporary name and
 * renamed, so a crash mid-create never leaves a half-made disk at the real path.
 */
import { lstat, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { RrcError } from '../../errors.js';
import { imageInfo, QEMU_IMG, QEMU_IMG_TIMEOUT_MS } from './image-info.js';
import { runTool } from './run-tool.js';

export interface CreateOverlayRequest {
  /** Absolute path of the base image (catalogue `baseImage`). */
  baseImage: string;
  format: 'qcow2' | 'raw';
  /** Absolute path of the overlay to create. */
  overlayPath: string;
  /** Virtual size of the machine's disk, GiB; at least the base image's size. */
  sizeGb: number;
  signal?: AbortSignal;
}

const GIB = 1024 ** 3;

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new RrcError('RRC_ERR_DRIVER', `cannot stat ${path}: ${(e as Error).message}`, { cause: e });
  }
}

function validate(req: CreateOverlayRequest): void {
  if (!isAbsolute(req.baseImage)) throw new RrcError('RRC_ERR_VALIDATION', `base image must be an absolute path: ${req.baseImage}`);
  if (!isAbsolute(req.overlayPath)) throw new RrcError('RRC_ERR_VALIDATION', `overlay path must be absolute: ${req.overlayPath}`);
  if (resolve(req.baseImage) === resolve(req.overlayPath)) throw new RrcError('RRC_ERR_VALIDATION', `overlay path is the base image: ${req.overlayPath}`);
  if (req.format !== 'qcow2' && req.format !== 'raw') throw new RrcError('RRC_ERR_VALIDATION', `base image format must be qcow2 or raw, not ${String(req.format)}`);
  if (!Number.isInteger(req.sizeGb) || req.sizeGb < 1) throw new RrcError('RRC_ERR_VALIDATION', `disk size must be a whole number of GiB >= 1, not ${req.sizeGb}`);
}

/** Why an existing overlay does not fit the request, or undefined when it does. */
function mismatch(req: CreateOverlayRequest, info: Awaited<ReturnType<typeof imageInfo>>): string | undefined {
  if (info.format !== 'qcow2') return `it is ${info.format}, not qcow2`;
  const backing = info.fullBackingFilename ?? info.backingFilename;
  if (!backing) return 'it has no backing file';
  if (resolve(backing) !== resolve(req.baseImage)) return `its backing file is ${backing}, not ${req.baseImage}`;
  if (info.backingFormat && info.backingFormat !== req.format) return `its backing format is ${info.backingFormat}, not ${req.format}`;
  if (info.virtualSize !== req.sizeGb * GIB) return `its size is ${info.virtualSize} bytes, not ${req.sizeGb} GiB`;
  return undefined;
}

export async function createOverlay(req: CreateOverlayRequest): Promise<void> {
  validate(req);
  const { signal } = req;
  if (!(await exists(req.baseImage))) throw new RrcError('RRC_ERR_NOT_FOUND', `base image ${req.baseImage}`);
  const base = await imageInfo(req.baseImage, signal);
  // A raw base that is really a qcow2 (or the reverse) would hand the guest the wrong bytes.
  if (base.format !== req.format) {
    throw new RrcError('RRC_ERR_CONFLICT', `base image ${req.baseImage} is ${base.format}, the catalogue says ${req.format}`);
  }
  if (req.sizeGb * GIB < base.virtualSize) {
    throw new RrcError('RRC_ERR_VALIDATION', `disk of ${req.sizeGb} GiB is smaller than the base image ${req.baseImage} (${base.virtualSize} bytes)`);
  }

  if (await exists(req.overlayPath)) {
    const why = mismatch(req, await imageInfo(req.overlayPath, signal));
    if (why) throw new RrcError('RRC_ERR_CONFLICT', `${req.overlayPath} exists and is not this request's overlay: ${why}`);
    return;
  }

  await mkdir(dirname(req.overlayPath), { recursive: true });
  const partial = `${req.overlayPath}.partial`;
  await rm(partial, { force: true });
  try {
    await runTool({
      ...QEMU_IMG,
      args: ['create', '-q', '-f', 'qcow2', '-F', req.format, '-b', req.baseImage, partial, `${req.sizeGb}G`],
      timeoutMs: QEMU_IMG_TIMEOUT_MS,
      ...(signal ? { signal } : {}),
    });
    await rename(partial, req.overlayPath);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
}
