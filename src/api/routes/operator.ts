/**
 * Operator commands over the drivers: host power, boot device, fence and probe; VM probe,
 * reboot, restart and move. Each calls the controller method that the recovery ladder uses,
 * so the same locks, audit entries and driver errors (RRC_ERR_DRIVER_TIMEOUT 504, RRC_ERR_AUTH /
 * RRC_ERR_UNREACHABLE 502, RRC_ERR_FENCE_UNCONFIRMED 409...) apply.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { HostObservation, Signature, VmObservation } from '../../core/signature.js';
import { RrcError } from '../../errors.js';
import type { HostRecord, Store, VmRecord } from '../../store/types.js';
import { actorOf } from '../actor.js';
import { errorResponses, NameParamsSchema, toIso } from '../schemas/common.js';
import {
  BootDevBodySchema,
  BootDevOutSchema,
  FenceOutSchema,
  HostPowerBodySchema,
  HostPowerOutSchema,
  HostProbeOutSchema,
  VmMoveBodySchema,
  VmMoveOutSchema,
  VmPowerOutSchema,
  VmProbeOutSchema,
  type HostObservationOut,
  type SignatureOut,
  type VmObservationOut,
} from '../schemas/operator.js';
import { vmOut } from '../serialize.js';
import type { RouteOptions } from '../types.js';

async function mustHost(store: Store, name: string): Promise<HostRecord> {
  const host = await store.getHost(name);
  if (!host) throw new RrcError('RRC_ERR_NOT_FOUND', `host "${name}"`);
  return host;
}

async function mustVm(store: Store, name: string): Promise<VmRecord> {
  const vm = await store.getVm(name);
  if (!vm) throw new RrcError('RRC_ERR_NOT_FOUND', `vm "${name}"`);
  return vm;
}

// Copied field by field: drivers may attach more than the response schema declares.
const details = (d: Record<string, string> | undefined): Record<string, string> | undefined => (d ? { ...d } : undefined);

function signatureOut(s: Signature): SignatureOut {
  return { code: s.code, healthy: s.healthy, summary: s.summary };
}

function hostObservationOut(o: HostObservation): HostObservationOut {
  return {
    bmcReachable: o.bmcReachable,
    power: o.power,
    reachable: o.reachable,
    shellOk: o.shellOk,
    hypervisorOk: o.hypervisorOk,
    details: details(o.details),
  };
}

function vmObservationOut(o: VmObservation): VmObservationOut {
  return {
    hostDown: o.hostDown,
    hypervisorOk: o.hypervisorOk,
    domain: o.domain,
    guestReachable: o.guestReachable,
    serviceOk: o.serviceOk,
    details: details(o.details),
  };
}

const hostTags = ['hosts', 'operator'];
const vmTags = ['vms', 'operator'];

export const operatorRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { controller }) => {
  const { store } = controller;

  app.get(
    '/hosts/:name/power',
    {
      schema: {
        tags: hostTags,
        summary: 'Read the power state from the host BMC',
        params: NameParamsSchema,
        response: { 200: HostPowerOutSchema, ...errorResponses },
      },
    },
    async (req) => {
      await mustHost(store, req.params.name);
      const r = await controller.hostPower(req.params.name, 'status', actorOf(req));
      return { host: r.host, op: 'status' as const, power: r.power };
    },
  );

  app.post(
    '/hosts/:name/power',
    {
      schema: {
        tags: hostTags,
        summary: 'Power the host on, off or cycle it through its BMC, then read the state back',
        description: '409 while a recovery action runs on the host',
        params: NameParamsSchema,
        body: HostPowerBodySchema,
        response: { 200: HostPowerOutSchema, ...errorResponses },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      await mustHost(store, req.params.name);
      const r = await controller.hostPower(req.params.name, req.body.op, actor);
      return { host: r.host, op: req.body.op, power: r.power };
    },
  );

  app.post(
    '/hosts/:name/bootdev',
    {
      schema: {
        tags: hostTags,
        summary: 'Set the device the host boots from next (pxe to reinstall, disk otherwise)',
        params: NameParamsSchema,
        body: BootDevBodySchema,
        response: { 200: BootDevOutSchema, ...errorResponses },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      await mustHost(store, req.params.name);
      const r = await controller.hostBootDevice(req.params.name, req.body.device, actor);
      return { host: r.host, device: r.device };
    },
  );

  app.post(
    '/hosts/:name/fence',
    {
      schema: {
        tags: hostTags,
        summary: 'Fence the host: power it off and confirm by reading the BMC back (can take ~30 s)',
        description: '409 RRC_ERR_FENCE_UNCONFIRMED with the reason when power-off cannot be confirmed',
        params: NameParamsSchema,
        response: { 200: FenceOutSchema, ...errorResponses },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      await mustHost(store, req.params.name);
      const r = await controller.hostFence(req.params.name, actor);
      return { host: r.host, confirmedAt: toIso(r.confirmedAt), offAttempts: r.offAttempts };
    },
  );

  app.get(
    '/hosts/:name/probe',
    {
      schema: {
        tags: hostTags,
        summary: 'Probe the host now: every probe result and the failure signature they add up to',
        params: NameParamsSchema,
        response: { 200: HostProbeOutSchema, ...errorResponses },
      },
    },
    async (req) => {
      await mustHost(store, req.params.name);
      const r = await controller.hostProbe(req.params.name);
      return { host: r.host, observation: hostObservationOut(r.observation), signature: signatureOut(r.signature) };
    },
  );

  app.get(
    '/vms/:name/probe',
    {
      schema: {
        tags: vmTags,
        summary: 'Probe the VM now on its current host: every probe result and the failure signature',
        params: NameParamsSchema,
        response: { 200: VmProbeOutSchema, ...errorResponses },
      },
    },
    async (req) => {
      await mustVm(store, req.params.name);
      const r = await controller.vmProbe(req.params.name);
      return { vm: r.vm, host: r.host, observation: vmObservationOut(r.observation), signature: signatureOut(r.signature) };
    },
  );

  for (const op of ['reboot', 'restart'] as const) {
    app.post(
      `/vms/:name/${op}`,
      {
        schema: {
          tags: vmTags,
          summary:
            op === 'reboot'
              ? 'Reboot the VM: shutdown, wait, start (destroy + start if the guest ignores the shutdown)'
              : 'Restart the VM hard: destroy (if running) + start',
          description: '409 while a recovery action runs on the VM',
          params: NameParamsSchema,
          response: { 200: VmPowerOutSchema, ...errorResponses },
        },
      },
      async (req) => {
        const actor = actorOf(req);
        await mustVm(store, req.params.name);
        const r = await controller.vmPower(req.params.name, op, actor);
        return { vm: r.vm, host: r.host, op };
      },
    );
  }

  app.post(
    '/vms/:name/move',
    {
      schema: {
        tags: vmTags,
        summary: 'Move the VM: stop it where it is (confirmed), then start it on another host',
        description: '404 for an unknown VM or host; 409 when it already runs there or cannot be stopped',
        params: NameParamsSchema,
        body: VmMoveBodySchema,
        response: { 200: VmMoveOutSchema, ...errorResponses },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      const { name } = req.params;
      const { to } = req.body;
      const vm = await mustVm(store, name);
      await mustHost(store, to);
      if (vm.currentHost === to) throw new RrcError('RRC_ERR_INVALID_STATE', `vm "${name}" already runs on ${to}`);
      const moved = await controller.vmMove(name, to, actor);
      return { from: vm.currentHost, to: moved.currentHost, vm: vmOut(moved) };
    },
  );
};
