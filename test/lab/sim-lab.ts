/**
 * The small simulated rack of the controller integration tests, started: two primaries, one
 * spare, four VMs (src/sim-rack's labHosts / labVms) on the given store. RRC_TEST_LOG=<level>
 * shows the controller's log.
 */
import { pino } from 'pino';
import type { DeepPartial, Policy } from '../../src/core/index.js';
import type { Logger } from '../../src/env/env.js';
import { buildSimRack, labHosts, labVms, type SimRack, type SimRackOptions } from '../../src/sim-rack/index.js';
import type { Store } from '../../src/store/types.js';

export type SimLab = SimRack;

/** The controller's log when RRC_TEST_LOG names a level; otherwise the rack's silent default. */
export function testLog(): { log?: Logger } {
  const level = process.env.RRC_TEST_LOG;
  return level ? { log: pino({ level }) } : {};
}

export async function startSimLab(store: Store, opts: { policy?: DeepPartial<Policy>; seed?: number; wrapEnv?: SimRackOptions['wrapEnv'] } = {}): Promise<SimLab> {
  const lab = await buildSimRack({ hosts: labHosts(), vms: labVms(), store, ...opts, ...testLog() });
  await lab.start();
  return lab;
}
