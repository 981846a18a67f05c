/**
 * Lent machines in a scenario (host on demand): a VM of world.json with `lent: { owner, forSeconds }`
 * is a ready request placed at the start on its host, and the request service runs beside the
 * controller on the virtual clock (FakeImageTools: the sim has no disks). Its warnings, state
 * changes and closing go to the golden log under `req:<vm>`, and each request's end state (owner,
 * expiry, state, where its VM runs) closes the log.
 */
import type { Controller } from '../../../src/controller/index.js';
import { OnDemandConfigSchema } from '../../../src/on-demand/config-schema.js';
import { RequestService } from '../../../src/on-demand/request-service.js';
import type { SimRack } from '../../../src/sim-rack/index.js';
import type { RequestRecord } from '../../../src/store/types.js';
import { FakeImageTools } from '../../unit/on-demand/fake-image-tools.js';
import { CATALOGUE } from '../../unit/on-demand/lending-rig.js';
import { logLine } from './golden-log.js';
import type { Scenario } from './scenario-spec.js';

export interface Lending {
  stop(): Promise<void>;
  endLines(t: number): Promise<string[]>;
}

const idOf = (vm: string) => `r-${vm}`;

export async function startLending(rack: SimRack, controller: () => Controller, s: Scenario, start: number, lines: string[]): Promise<Lending | null> {
  const lent = s.world.vms.flatMap((v, i) => (v.lent ? [{ entry: v, spec: s.vms[i] as (typeof s.vms)[number], lent: v.lent }] : []));
  if (lent.length === 0) return null;
  const images = new FakeImageTools();
  const at = () => (rack.clock.now() - start) / 1000;
  for (const { spec, lent: l } of lent) {
    const id = idOf(spec.name);
    const rec: RequestRecord = {
      id,
      owner: l.owner,
      state: 'ready',
      kind: 'vm',
      cores: spec.resources.cores,
      ramGb: spec.resources.ramGb,
      diskGb: spec.resources.diskGb,
      os: 'debian-12',
      middleware: [],
      sshKeys: [],
      durationMs: l.forSeconds * 1000,
      queue: false,
      host: spec.homeHost,
      vmName: spec.name,
      vmUuid: spec.uuid,
      overlayPath: spec.diskPath ?? `/shared/${spec.name}.qcow2`,
      seedPath: `/shared/on-demand/${id}-seed.iso`,
      address: null,
      createdAt: start,
      placedAt: start,
      readyAt: start,
      expiresAt: start + l.forSeconds * 1000,
      endedAt: null,
      warned: [],
      steps: ['overlay', 'seed', 'domain', 'inventory'],
      endReason: null,
      erasedHow: null,
      error: null,
      updatedAt: start,
    };
    await rack.store.createRequest(rec);
    images.overlays.set(rec.overlayPath as string, { baseImage: '/shared/base/debian-12.qcow2', sizeGb: rec.diskGb });
    images.seeds.set(rec.seedPath as string, { instanceId: id, hostname: spec.name, owner: l.owner, sshAuthorizedKeys: [], middleware: [] });
  }
  // The controller of the moment (a scenario may restart it).
  const live = new Proxy({} as Controller, { get: (_t, key) => Reflect.get(controller(), key) as unknown });
  const service = new RequestService({
    store: rack.store,
    controller: live,
    hypervisor: rack.env.hypervisor,
    clock: rack.clock,
    log: rack.env.log,
    catalogue: CATALOGUE,
    config: OnDemandConfigSchema.parse({ storageDir: '/shared/on-demand', warnings: ['10m', '1m'], sweepInterval: '5s' }),
    images,
    isLeader: () => true,
  });
  service.onEvent((e) => {
    if (e.type === 'request-warning') lines.push(logLine(at(), `req:${e.requestId.slice(2)}`, `warning: ends in ${Math.round((e.expiresAt - e.at) / 1000)} s (owner ${e.owner})`));
    if (e.type === 'request-state') lines.push(logLine(at(), `req:${e.requestId.slice(2)}`, `${e.from} -> ${e.to}: ${e.reason}`));
  });
  service.start();
  return {
    stop: () => service.stop(),
    async endLines(t) {
      const out: string[] = [];
      for (const { spec } of lent) {
        const r = (await rack.store.getRequest(idOf(spec.name))) as RequestRecord;
        const vm = await rack.store.getVm(spec.name);
        const where = vm ? `its VM on ${vm.currentHost} in the inventory` : 'its VM out of the inventory';
        const disk = images.overlays.has(r.overlayPath as string) ? 'disk kept' : `disk erased (${r.erasedHow ?? '?'})`;
        out.push(logLine(t, `req:${spec.name}`, `end: ${r.state}; owner ${r.owner}, expires at ${((r.expiresAt as number) - start) / 1000} s; ${where}; ${disk}`));
      }
      return out;
    },
  };
}
