/**
 * `controller restart` in a scenario's faults: the controller process dies (as by SIGKILL: its
 * driver calls in flight never act, its timers never fire, its waits never end) and a new one
 * starts at that virtual instant on the same store and the same world, as after a crash and a
 * quick restart by systemd. Only what the store holds survives: machine snapshots, incidents,
 * actions in flight, each host's last contact.
 *
 * The dead process's Env is cut with the chaos harness's kill switch (test/chaos/lib), so an
 * action it had in flight cannot go on acting next to the new controller's.
 */
import { createController, type Controller } from '../../../src/controller/index.js';
import type { Env } from '../../../src/env/env.js';
import type { SimEnv } from '../../../src/env/sim/index.js';
import { DEFAULT_RACK_PROBES, type SimRack } from '../../../src/sim-rack/index.js';
import { cutEnv } from '../../chaos/lib/cut-env.js';
import { KillSwitch } from '../../chaos/lib/kill-switch.js';

/** One controller process: its controller and the switch that kills it. */
export interface ControllerProcess {
  controller: Controller;
  readonly life: KillSwitch;
}

/** The Env of one process: dead with it (buildSimRack's `wrapEnv` for the first one). */
export function mortalEnv(sim: SimEnv, life: KillSwitch): Env {
  return cutEnv(sim, life, 'drop');
}

/**
 * Kills `old` and creates its successor on the rack's store, world and policy (not started: the
 * caller subscribes to its events first, then awaits `start()`).
 */
export function restartController(rack: SimRack, old: ControllerProcess): ControllerProcess {
  old.life.kill(rack.clock.now());
  const life = new KillSwitch();
  const controller = createController({
    env: mortalEnv(rack.env, life),
    store: rack.store,
    policy: rack.policy,
    probes: DEFAULT_RACK_PROBES,
    unchangedSinceLastProbe: rack.env.unchangedSinceLastProbe,
  });
  return { controller, life };
}
