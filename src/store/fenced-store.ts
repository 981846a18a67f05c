/**
 * A leader's view of the store: its writes of actions, target states and placements carry its
 * fencing epoch, so the store refuses them once another controller holds a newer lease; such a
 * refusal is reported (the leader steps down) and rethrown. Everything else passes through.
 */
import { RrcError } from '../errors.js';
import type { Store, WriteFence } from './types.js';

const FENCED = new Set<PropertyKey>(['upsertAction', 'saveTargetState', 'updateVm', 'updateRequest']);
/** Where the fence goes in each fenced method's arguments. */
const FENCE_ARG: Record<string, number> = { upsertAction: 1, saveTargetState: 1, updateVm: 2, updateRequest: 2 };

export function fencedStore(inner: Store, fence: () => WriteFence, onStale: (e: RrcError) => void): Store {
  return new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (!FENCED.has(key) || typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      return (...args: unknown[]): Promise<unknown> => {
        const full = [...args];
        full[FENCE_ARG[String(key)]!] = fence();
        return method.apply(target, full).catch((e: unknown) => {
          if (e instanceof RrcError && e.code === 'RRC_ERR_STALE_EPOCH') onStale(e);
          throw e;
        });
      };
    },
  });
}
