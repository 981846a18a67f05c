/** Operator actions on one target: maintenance, release from quarantine, run a rung by hand. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { RUNG_RANGE } from '../../core/rungs.js';
import { actorOf } from '../actor.js';
import { errorResponses } from '../schemas/common.js';
import { MaintenanceBodySchema, RungBodySchema, TargetParamsSchema, TargetStatusOutSchema } from '../schemas/target.js';
import { statusOut } from '../serialize.js';
import { resolveTarget } from '../target-ref.js';
import type { RouteOptions } from '../types.js';

const targetHelp = ':target is host:<name>, vm:<name> or a name unique among hosts and VMs';

export const targetRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { controller }) => {
  const { store } = controller;

  app.post(
    '/targets/:target/maintenance',
    {
      schema: {
        tags: ['operator'],
        summary: 'Maintenance on/off: still probed, no automatic action',
        description: targetHelp,
        params: TargetParamsSchema,
        body: MaintenanceBodySchema,
        response: { 200: TargetStatusOutSchema, ...errorResponses },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      const id = await resolveTarget(store, req.params.target);
      return statusOut(await controller.setMaintenance(id, req.body.on, actor));
    },
  );

  app.post(
    '/targets/:target/release',
    {
      schema: {
        tags: ['operator'],
        summary: 'Release a quarantined or operator-awaiting target back to probing',
        description: targetHelp,
        params: TargetParamsSchema,
        response: { 200: TargetStatusOutSchema, ...errorResponses },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      const id = await resolveTarget(store, req.params.target);
      return statusOut(await controller.release(id, actor));
    },
  );

  app.post(
    '/targets/:target/rung',
    {
      schema: {
        tags: ['operator'],
        summary: 'Run one rung of the ladder now (opens an incident if none is open)',
        description: `${targetHelp}; rung is ${RUNG_RANGE} or its name`,
        params: TargetParamsSchema,
        body: RungBodySchema,
        response: { 200: TargetStatusOutSchema, ...errorResponses },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      const id = await resolveTarget(store, req.params.target);
      return statusOut(await controller.triggerRung(id, req.body.rung, actor));
    },
  );
};
