/** VM inventory. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { targetId } from '../../core/types.js';
import { RrcError } from '../../errors.js';
import { actorOf } from '../actor.js';
import { checkVmAllowed } from '../inventory-allow.js';
import { errorResponses, NameParamsSchema } from '../schemas/common.js';
import { TargetStatusOutSchema } from '../schemas/target.js';
import { VmOutSchema, VmSpecSchema } from '../schemas/vm.js';
import { statusOut, vmOut } from '../serialize.js';
import type { RouteOptions } from '../types.js';

export const VmDetailOutSchema = z.object({
  vm: VmOutSchema,
  status: TargetStatusOutSchema.nullable(),
});

export const vmRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { controller, allow }) => {
  const { store } = controller;

  app.get(
    '/vms',
    { schema: { tags: ['vms'], summary: 'List VMs', response: { 200: z.array(VmOutSchema), ...errorResponses } } },
    async () => (await store.listVms()).map(vmOut),
  );

  app.get(
    '/vms/:name',
    {
      schema: {
        tags: ['vms'],
        summary: 'One VM and its state',
        params: NameParamsSchema,
        response: { 200: VmDetailOutSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { name } = req.params;
      const vm = await store.getVm(name);
      if (!vm) throw new RrcError('RRC_ERR_NOT_FOUND', `vm "${name}"`);
      const status = controller.targetStatus(targetId('vm', name));
      return { vm: vmOut(vm), status: status ? statusOut(status) : null };
    },
  );

  app.post(
    '/vms',
    {
      schema: {
        tags: ['vms'],
        summary: 'Add a VM (409 on a duplicate name or UUID, 404 for an unknown host; 400 naming the field for a command, XML or secret outside the allow-lists)',
        body: VmSpecSchema,
        response: { 201: VmOutSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      checkVmAllowed(req.body, allow);
      const rec = await controller.addVm(req.body, actorOf(req));
      return reply.status(201).send(vmOut(rec));
    },
  );

  app.delete(
    '/vms/:name',
    {
      schema: {
        tags: ['vms'],
        summary: 'Remove a VM from the inventory (the domain itself is left alone)',
        params: NameParamsSchema,
        response: { 204: z.null().describe('removed'), ...errorResponses },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      await controller.removeVm(req.params.name, actor);
      return reply.status(204).send(null);
    },
  );
};
