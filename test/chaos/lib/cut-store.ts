/**
 * The killed controller's Store: after the kill every call hangs and writes nothing. A write the
 * controller issued before the kill is already on its way to the database and lands (or, with
 * `dropWrites` at the trigger, the kill comes just before it is sent: it never happens).
 */
import type { Store } from '../../../src/store/types.js';
import { never, type KillSwitch } from './kill-switch.js';

const WRITES = /^(add|update|save|remove|delete|create|upsert)/;

/** `beforeWrite` runs before each write is sent (a kill trigger may fire there). */
export function cutStore(inner: Store, sw: KillSwitch, beforeWrite?: () => void): Store {
  return new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      const isWrite = WRITES.test(String(key));
      return (...args: unknown[]): Promise<unknown> => {
        if (isWrite && !sw.killed) beforeWrite?.();
        if (sw.killed) return never();
        return method.apply(target, args).then(
          (v) => (sw.killed ? never() : v),
          (e: unknown) => (sw.killed ? never() : Promise.reject(e)),
        );
      };
    },
  });
}
