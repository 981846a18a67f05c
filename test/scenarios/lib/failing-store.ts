/**
 * The scenario line `store fail-writes <n>`: the next n writes to the controller's store fail (a
 * database restart, a full disk, a lost connection), reads keep working. Wraps the rack's memory
 * store; only a scenario with that line gets the wrapper.
 */
import { RrcError } from '../../../src/errors.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';

const WRITES: ReadonlySet<string> = new Set([
  'addHost', 'updateHost', 'removeHost', 'setHostLastContact', 'addVm', 'updateVm', 'removeVm',
  'saveTargetState', 'deleteTargetState', 'createIncident', 'updateIncident', 'addIncidentEvent',
  'upsertAction', 'addAudit',
]);

export const STORE_FAIL_RE = /^store fail-writes (\d{1,3})$/;

export interface FailingStore {
  store: Store;
  /** The next `n` writes throw RRC_ERR_STORE. */
  failNextWrites(n: number): void;
  /** Writes refused so far. */
  readonly refused: number;
}

export async function failingStore(): Promise<FailingStore> {
  const inner = await openStore('memory:');
  let armed = 0;
  let refused = 0;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (typeof prop !== 'string' || !WRITES.has(prop)) return value.bind(target);
      return (...args: unknown[]) => {
        if (armed > 0) {
          armed--;
          refused++;
          return Promise.reject(new RrcError('RRC_ERR_STORE', `scenario: ${prop} refused (store fail-writes)`));
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    store,
    failNextWrites: (n) => {
      armed = n;
    },
    get refused() {
      return refused;
    },
  };
}
