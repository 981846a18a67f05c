/** What the request service needs from the rest of the controller (composition root: src/service). */
import type { ControllerApi } from '../controller/types.js';
import type { Clock, HypervisorDriver, Logger, Provisioner } from '../env/env.js';
import type { Store } from '../store/types.js';
import type { Catalogue } from './catalogue-types.js';
import type { OnDemandConfig } from './config-schema.js';
import type { ImageTools } from './image-tools.js';

/** The controller operations a lent VM goes through: the same inventory and maintenance paths as a person's. */
export type LendingController = Pick<ControllerApi, 'addVm' | 'removeVm' | 'setMaintenance' | 'targetStatus' | 'vmProbe' | 'hostProbe'>;

export interface RequestServiceDeps {
  /** The controller's store: with a leadership, its request writes carry the leader's epoch. */
  store: Store;
  controller: LendingController;
  hypervisor: HypervisorDriver;
  clock: Clock;
  log: Logger;
  catalogue: Catalogue;
  /** storageDir absolute. */
  config: OnDemandConfig;
  images: ImageTools;
  /** The Env's PXE provisioner: `--physical` lends a spare and reinstalls it; absent, --physical is refused. */
  provisioner?: Provisioner;
  /** Deadline of a lent host's reinstalls (default: the reinstall rung's 1500 s). */
  physicalReinstallMs?: number;
  /** Only the leader sweeps (a standby never provisions nor erases). */
  isLeader: () => boolean;
  /** Request ids (`r-` + 8 hex by default); tests pass a counter. */
  newId?: () => string;
  /** VM UUIDs; tests pass a counter. */
  newUuid?: () => string;
}
