/**
 * Two controllers on one PostgreSQL schema and one simulated rack: A (whose Env, Store and timers
 * a KillSwitch cuts, as a SIGKILL would) and B. Each has its own connection and its own lease.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createController, type Controller } from '../../../src/controller/index.js';
import { Leadership } from '../../../src/controller/leadership.js';
import type { Env } from '../../../src/env/env.js';
import { buildSimRack, DEFAULT_RACK_PROBES, labHosts, labVms, silentLogger, type SimRack } from '../../../src/sim-rack/index.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { cutEnv } from '../../chaos/lib/cut-env.js';
import { cutStore } from '../../chaos/lib/cut-store.js';
import { KillSwitch } from '../../chaos/lib/kill-switch.js';

export const BASE_URL = process.env.RRC_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export interface Member {
  name: string;
  store: Store;
  leadership: Leadership;
  controller: Controller;
}

export interface Pair {
  rack: SimRack;
  a: Member;
  b: Member;
  killA: KillSwitch;
  /** A second connection to the database, for the test's own reads. */
  observer: Store;
  /** One virtual second: timers fire, then both controllers' writes land. */
  step(): Promise<void>;
  close(): Promise<void>;
}

export interface PairOptions {
  /** Around A's store, inside the kill switch's cut. */
  wrapStoreA?: (s: Store) => Store;
  wrapEnvA?: (e: Env) => Env;
  /** What a step waits for of A (default: its idle(); a paused A never becomes idle). */
  waitA?: (idle: Promise<void>) => Promise<unknown>;
}

export async function buildPair(opts: PairOptions = {}): Promise<Pair> {
  const schema = `rrc_test_pair_${randomBytes(4).toString('hex')}`;
  const url = `${BASE_URL}${BASE_URL.includes('?') ? '&' : '?'}schema=${schema}`;
  const observer = await openStore(url);
  const rack = await buildSimRack({ hosts: labHosts(), vms: labVms(), store: observer, simEnv: { bootProgress: true } });
  const killA = new KillSwitch();
  const member = async (name: string, env: Env, wrap: (s: Store) => Store): Promise<Member> => {
    const store = wrap(await openStore(url));
    const leadership = new Leadership({ store, clock: env.clock, log: silentLogger, holder: name });
    const controller = createController({
      env,
      store,
      policy: rack.policy,
      probes: DEFAULT_RACK_PROBES,
      leadership,
      unchangedSinceLastProbe: rack.env.unchangedSinceLastProbe,
    });
    return { name, store, leadership, controller };
  };
  const a = await member('ctl-a', cutEnv(opts.wrapEnvA ? opts.wrapEnvA(rack.env) : rack.env, killA, 'land'), (s) => cutStore(opts.wrapStoreA ? opts.wrapStoreA(s) : s, killA));
  const b = await member('ctl-b', rack.env, (s) => s);
  const waitA = opts.waitA ?? ((idle) => idle);
  const live = (m: Member) => (m !== a ? m.controller.idle() : killA.killed ? Promise.resolve() : waitA(m.controller.idle()));
  return {
    rack,
    a,
    b,
    killA,
    observer,
    async step() {
      await rack.clock.advanceBy(1000);
      await Promise.race([Promise.all([live(a), live(b)]), killA.died.then(() => live(b))]);
    },
    async close() {
      await b.controller.stop();
      if (!killA.killed) await a.controller.stop();
      killA.kill(rack.clock.now());
      await b.store.close();
      await observer.close();
      const admin = new pg.Client({ connectionString: BASE_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}
