/**
 * The first-boot data of an image-based machine: a cloud-init NoCloud seed, an ISO 9660 volume
 * labelled `cidata` holding `meta-data` and `user-data` (and `network-config` for a static
 * address), attached to the machine as a cdrom.
 *
 * Idempotent: ISO 9660 stores file bytes verbatim, so an existing seed that contains exactly the
 * rendered files is kept; otherwise it is rebuilt under a temporary name and renamed into place
 * (a reader never sees half an ISO).
 */
import { lstat, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { RrcError } from '../../errors.js';
import type { FirstBootData } from '../catalogue-types.js';
import { renderMetaData, renderNetworkConfig, renderUserData } from './cloud-init-data.js';
import { validateFirstBootData } from './first-boot-data.js';
import { runTool } from './run-tool.js';

export interface BuildSeedRequest {
  /** Absolute directory the seed is written to, as `<dir>/<instanceId>-seed.iso`. */
  dir: string;
  data: FirstBootData;
  signal?: AbortSignal;
}

export const SEED_VOLUME_LABEL = 'cidata';
/** A seed is a few kilobytes; genisoimage takes milliseconds. */
const GENISOIMAGE_TIMEOUT_MS = 60_000;
/** Larger than any seed we write: an existing file beyond this is not read whole to compare. */
const MAX_SEED_BYTES = 16 * 1024 * 1024;

export function seedPath(dir: string, instanceId: string): string {
  return join(dir, `${instanceId}-seed.iso`);
}

async function holdsFiles(iso: string, files: string[]): Promise<boolean> {
  try {
    const st = await lstat(iso);
    if (!st.isFile() || st.size > MAX_SEED_BYTES) return false;
    const bytes = await readFile(iso);
    return files.every((f) => bytes.includes(Buffer.from(f, 'utf8')));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new RrcError('RRC_ERR_DRIVER', `cannot read seed ${iso}: ${(e as Error).message}`, { cause: e });
  }
}

export async function buildNoCloudSeed(req: BuildSeedRequest): Promise<string> {
  const { dir, data, signal } = req;
  if (!isAbsolute(dir)) throw new RrcError('RRC_ERR_VALIDATION', `seed directory must be absolute: ${dir}`);
  validateFirstBootData(data);
  const iso = seedPath(dir, data.instanceId);
  const metaData = renderMetaData(data);
  const userData = renderUserData(data);
  const networkConfig = renderNetworkConfig(data);
  if (await holdsFiles(iso, networkConfig === null ? [metaData, userData] : [metaData, userData, networkConfig])) return iso;

  await mkdir(dir, { recursive: true });
  const staging = await mkdtemp(join(dir, `.${data.instanceId}-seed-`));
  const partial = `${iso}.partial`;
  try {
    await writeFile(join(staging, 'meta-data'), metaData, { mode: 0o600 });
    await writeFile(join(staging, 'user-data'), userData, { mode: 0o600 });
    if (networkConfig !== null) await writeFile(join(staging, 'network-config'), networkConfig, { mode: 0o600 });
    await runTool({
      tool: 'genisoimage',
      debianPackage: 'genisoimage',
      args: ['-quiet', '-output', partial, '-volid', SEED_VOLUME_LABEL, '-joliet', '-rock', '-input-charset', 'utf-8', staging],
      timeoutMs: GENISOIMAGE_TIMEOUT_MS,
      ...(signal ? { signal } : {}),
    });
    await rename(partial, iso);
  } finally {
    await rm(partial, { force: true });
    await rm(staging, { recursive: true, force: true });
  }
  return iso;
}

/** Deletes a seed; nothing there is fine. */
export async function removeSeed(path: string): Promise<void> {
  if (!isAbsolute(path)) throw new RrcError('RRC_ERR_VALIDATION', `seed path must be absolute: ${path}`);
  await rm(path, { force: true });
  await rm(`${path}.partial`, { force: true });
}
