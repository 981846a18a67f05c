/**
 * The request service on the simulated rack (virtual clock, real controller, memory or given
 * store), with FakeImageTools: the sim has no disks, so overlays and seeds are entries in a map
 * (the real tools run against qemu-img in test/integration/on-demand).
 */
export { FakeImageTools } from './fake-image-tools.js';
import { OnDemandConfigSchema, type OnDemandConfig } from '../../../src/on-demand/config-schema.js';
import { FakeImageTools } from './fake-image-tools.js';
import { RequestService } from '../../../src/on-demand/request-service.js';
import { buildSimRack, DEFAULT_RACK_PROBES, labHosts, labVms, type SimRack } from '../../../src/sim-rack/index.js';
import { createController, type Controller } from '../../../src/controller/index.js';
import type { HostSpec, VmSpec } from '../../../src/core/types.js';
import type { Store } from '../../../src/store/types.js';

export const CATALOGUE = {
  os: [
    { name: 'debian-12', description: 'Debian 12', kind: 'image' as const, baseImage: '/shared/base/debian-12.qcow2', format: 'qcow2' as const },
    { name: 'alma-9', description: 'AlmaLinux 9 (kickstart)', kind: 'install' as const, kickstartTemplate: 'alma-9' },
  ],
  middleware: [
    { name: 'htcondor', description: 'HTCondor worker', packages: ['htcondor'], firstBoot: ['systemctl enable --now condor'] },
    { name: 'cvmfs', description: 'CernVM-FS client', packages: ['cvmfs'], firstBoot: ['cvmfs_config setup'] },
  ],
};

export const ALICE_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLEKEYFORTESTSONLYxxxxxxxxxxxxxxxxxxxxxx alice@laptop';

export function onDemandConfig(over: Record<string, unknown> = {}): OnDemandConfig {
  return OnDemandConfigSchema.parse({
    storageDir: '/shared/on-demand',
    warnings: ['1h', '10m'],
    sweepInterval: '5s',
    owners: { alice: { sshKeys: [ALICE_KEY] } },
    quotas: { default: { cores: 16, ram: '64G', disk: '1T', requests: 3 } },
    ...over,
  });
}

export interface LendingRig {
  rack: SimRack;
  service: RequestService;
  images: FakeImageTools;
  /** A second service on the same store and world: a restarted controller's. */
  restartService(): Promise<RequestService>;
  /** The service dies where it is (a step in flight never ends); a new one starts on the same store and world. */
  crashService(): RequestService;
  /** The whole controller restarts: the service dies where it is, the controller stops, a new controller and service start on the same store and world. */
  restartController(): Promise<RequestService>;
  /** The controller of the moment. */
  readonly controller: Controller;
  /** `seconds` one-second steps of the virtual clock (the sweep runs on it every 5 s). */
  run(seconds: number): Promise<void>;
  /** Steps the clock (100 ms at a time, at most `maxSeconds`) until `p` settles: sim driver calls take virtual time. */
  settle<T>(p: Promise<T>, maxSeconds?: number): Promise<T>;
  runUntil(done: () => Promise<boolean> | boolean, maxSeconds: number): Promise<boolean>;
  stop(): Promise<void>;
}

export async function lendingRig(opts: { hosts?: HostSpec[]; vms?: VmSpec[]; store?: Store; config?: Record<string, unknown>; isLeader?: () => boolean; physical?: boolean } = {}): Promise<LendingRig> {
  const rack = await buildSimRack({ hosts: opts.hosts ?? labHosts(), vms: opts.vms ?? labVms(), ...(opts.store ? { store: opts.store } : {}) });
  await rack.start();
  const images = new FakeImageTools();
  let counter = 0;
  let uuids = 0;
  let controller: Controller = rack.controller;
  const make = () =>
    new RequestService({
      store: controller.store,
      controller,
      hypervisor: rack.env.hypervisor,
      clock: rack.clock,
      log: rack.env.log,
      catalogue: CATALOGUE,
      config: onDemandConfig(opts.config),
      images,
      // --physical lends a spare and reinstalls it through the sim rack's PXE provisioner.
      ...(opts.physical ? { provisioner: rack.env.provisioner } : {}),
      isLeader: opts.isLeader ?? (() => true),
      newId: () => `r-${String(++counter).padStart(8, '0')}`,
      newUuid: () => `10000000-0000-4000-8000-${String(++uuids).padStart(12, '0')}`,
    });
  let service = make();
  service.start();
  const rig: LendingRig = {
    rack,
    images,
    get service() {
      return service;
    },
    get controller() {
      return controller;
    },
    async restartController() {
      void service.stop();
      await rig.settle(controller.stop());
      controller = createController({ env: rack.env, store: rack.store, policy: rack.policy, probes: DEFAULT_RACK_PROBES, unchangedSinceLastProbe: rack.env.unchangedSinceLastProbe });
      await rig.settle(controller.start());
      service = make();
      service.start();
      return service;
    },
    crashService() {
      void service.stop();
      service = make();
      service.start();
      return service;
    },
    async restartService() {
      await rig.settle(service.stop());
      service = make();
      service.start();
      return service;
    },
    async run(seconds) {
      for (let s = 0; s < seconds; s++) await rack.step();
    },
    async settle(p, maxSeconds = 120) {
      let settled = false;
      const watched = p.finally(() => {
        settled = true;
      });
      watched.catch(() => undefined);
      for (let i = 0; i < maxSeconds * 10 && !settled; i++) await rack.step(100);
      if (!settled) throw new Error(`did not settle within ${maxSeconds} virtual seconds`);
      return watched;
    },
    async runUntil(done, maxSeconds) {
      for (let s = 0; s < maxSeconds; s++) {
        if (await done()) return true;
        await rack.step();
      }
      return done();
    },
    async stop() {
      await rig.settle(service.stop());
      await controller.stop();
    },
  };
  // The rack healthy first (probes need recoverAfter cycles for nothing: start healthy).
  await rig.run(6);
  return rig;
}
