/**
 * The controller's check of its own vantage point, once per probe cycle: the configured witness
 * addresses (env.witnesses.selfCheck) and a round trip to its store. Never throws: a check that
 * throws or times out is a failed check.
 */
import type { Clock, SelfCheck, Witnesses } from '../../env/env.js';
import { withTimeout } from '../../env/timing.js';
import { errorText } from '../../errors.js';
import type { Store } from '../../store/types.js';

export class SelfCheckRunner {
  constructor(
    private readonly deps: { clock: Clock; witnesses: Witnesses; store: Store; timeoutMs: number },
  ) {}

  async run(): Promise<SelfCheck> {
    const { clock, witnesses, store, timeoutMs } = this.deps;
    const [network, storeFailure] = await Promise.all([
      withTimeout(clock, witnesses.selfCheck(), timeoutMs * 2, 'self-check').catch((e): SelfCheck => ({ ok: false, failed: [`witnesses: ${errorText(e)}`] })),
      withTimeout(clock, store.ping(), timeoutMs, 'store ping').then(
        () => null,
        (e: unknown) => `store unreadable: ${errorText(e)}`,
      ),
    ]);
    const failed = storeFailure === null ? network.failed : [...network.failed, storeFailure];
    return { ok: failed.length === 0, failed };
  }
}
