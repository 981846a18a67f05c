/** Host inventory and the host-only operator action (confirm power-off). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { targetId } from '../../core/types.js';
import { RrcError } from '../../errors.js';
import { actorOf } from '../actor.js';
import { checkHostAllowed } from '../inventory-allow.js';
import { errorResponses, NameParamsSchema } from '../schemas/common.js';
import { HostOutSchema, HostSpecSchema } from '../schemas/host.js';
import { TargetStatusOutSchema } from '../schemas/target.js';
import { VmOutSchema } from '../schemas/vm.js';
import { hostOut, statusOut, vmOut } from '../serialize.js';
import type { RouteOptions } from '../types.js';

export const HostDetailOutSchema = z.object({
  host: HostOutSchema,
  status: TargetStatusOutSchema.nullable(),
  vms: z.array(VmOutSchema).describe('VMs currently running on this host'),
});

export const hostRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { controller, allow }) => {
  const { store } = controller;

  app.get(
    '/hosts',
    { schema: { tags: ['hosts'], summary: 'List hosts', response: { 200: z.array(HostOutSchema), ...errorResponses } } },
    async () => (await store.listHosts()).map(hostOut),
  );

  app.get(
    '/hosts/:name',
    {
      schema: {
        tags: ['hosts'],
        summary: 'One host, its state and the VMs on it',
        params: NameParamsSchema,
        response: { 200: HostDetailOutSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { name } = req.params;
      const host = await store.getHost(name);
      if (!host) throw new RrcError('RRC_ERR_NOT_FOUND', `host "${name}"`);
      const vms = (await store.listVms()).filter((v) => v.currentHost === name);
      const status = controller.targetStatus(targetId('host', name));
      return { host: hostOut(host), status: status ? statusOut(status) : null, vms: vms.map(vmOut) };
    },
  );

  app.post(
    '/hosts',
    {
      schema: {
        tags: ['hosts'],
        summary: 'Add a host (409 on a duplicate name or MAC; 400 naming the field for a URI, endpoint or secret outside the allow-lists)',
        body: HostSpecSchema,
        response: { 201: HostOutSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      checkHostAllowed(req.body, allow);
      const rec = await controller.addHost(req.body, actorOf(req));
      return reply.status(201).send(hostOut(rec));
    },
  );

  app.delete(
    '/hosts/:name',
    {
      schema: {
        tags: ['hosts'],
        summary: 'Remove a host (409 while VMs still live on it)',
        params: NameParamsSchema,
        response: { 204: z.null().describe('removed'), ...errorResponses },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      await controller.removeHost(req.params.name, actor);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/hosts/:name/confirm-off',
    {
      schema: {
        tags: ['hosts', 'operator'],
        summary: 'A person confirms the host is powered off, so its VMs may be started elsewhere',
        params: NameParamsSchema,
        response: { 200: TargetStatusOutSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { name } = req.params;
      if (!(await store.getHost(name))) throw new RrcError('RRC_ERR_NOT_FOUND', `host "${name}"`);
      return statusOut(await controller.confirmHostOff(name, actorOf(req)));
    },
  );
};
