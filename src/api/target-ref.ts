/** Resolves the `:target` of a URL (`host:<name>`, `vm:<name>` or a bare name) to a TargetId. */
import { parseTargetId, targetId, type TargetId } from '../core/types.js';
import { RrcError } from '../errors.js';
import type { Store } from '../store/types.js';

export interface ResolveOptions {
  /** When false, an explicit `host:x` / `vm:x` is accepted even if x is gone (filters on history). */
  mustExist?: boolean;
}

export async function resolveTarget(store: Store, ref: string, opts: ResolveOptions = {}): Promise<TargetId> {
  const mustExist = opts.mustExist ?? true;
  if (ref.includes(':')) {
    let parsed: { kind: 'host' | 'vm'; name: string };
    try {
      parsed = parseTargetId(ref);
    } catch (e) {
      throw new RrcError('RRC_ERR_VALIDATION', `target: ${(e as Error).message}`);
    }
    if (mustExist) {
      const found = parsed.kind === 'host' ? await store.getHost(parsed.name) : await store.getVm(parsed.name);
      if (!found) throw new RrcError('RRC_ERR_NOT_FOUND', `${parsed.kind} "${parsed.name}"`);
    }
    return targetId(parsed.kind, parsed.name);
  }
  const [host, vm] = await Promise.all([store.getHost(ref), store.getVm(ref)]);
  if (host && vm) {
    throw new RrcError('RRC_ERR_VALIDATION', `target: "${ref}" is both a host and a VM; use host:${ref} or vm:${ref}`);
  }
  if (host) return targetId('host', ref);
  if (vm) return targetId('vm', ref);
  throw new RrcError('RRC_ERR_NOT_FOUND', `target "${ref}" (no host or VM of that name)`);
}
