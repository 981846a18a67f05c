/**
 * `qemu-img info --output=json` read into the few fields the overlay code checks. `-U` (force
 * share) lets it read an image a running machine holds open; it only reads.
 */
import { RrcError } from '../../errors.js';
import { runTool } from './run-tool.js';

export const QEMU_IMG = { tool: 'qemu-img', debianPackage: 'qemu-utils' } as const;
/** qemu-img info/create finish in well under a second; a minute means shared storage is stuck. */
export const QEMU_IMG_TIMEOUT_MS = 60_000;

export interface ImageInfo {
  format: string;
  virtualSize: number;
  /** As written in the image (what `-b` was), if it has a backing file. */
  backingFilename?: string;
  /** The backing file resolved by qemu-img (absolute). */
  fullBackingFilename?: string;
  backingFormat?: string;
}

export async function imageInfo(path: string, signal?: AbortSignal): Promise<ImageInfo> {
  const res = await runTool({ ...QEMU_IMG, args: ['info', '--output=json', '-U', path], timeoutMs: QEMU_IMG_TIMEOUT_MS, ...(signal ? { signal } : {}) });
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(res.stdout) as Record<string, unknown>;
  } catch (e) {
    throw new RrcError('RRC_ERR_DRIVER', `qemu-img info ${path}: output is not JSON`, { cause: e });
  }
  const str = (k: string): string | undefined => (typeof raw[k] === 'string' ? (raw[k] as string) : undefined);
  const format = str('format');
  const virtualSize = raw['virtual-size'];
  if (!format || typeof virtualSize !== 'number') throw new RrcError('RRC_ERR_DRIVER', `qemu-img info ${path}: no format or virtual-size`);
  const info: ImageInfo = { format, virtualSize };
  const backing = str('backing-filename');
  const full = str('full-backing-filename');
  const backingFormat = str('backing-filename-format');
  if (backing !== undefined) info.backingFilename = backing;
  if (full !== undefined) info.fullBackingFilename = full;
  if (backingFormat !== undefined) info.backingFormat = backingFormat;
  return info;
}
