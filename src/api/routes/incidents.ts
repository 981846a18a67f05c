/** Incidents, their timelines and actions, and the audit log: read-only history. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RrcError } from '../../errors.js';
import type { AuditFilter, IncidentFilter } from '../../store/types.js';
import { errorResponses } from '../schemas/common.js';
import {
  ActionOutSchema,
  ActionsQuerySchema,
  AuditOutSchema,
  AuditQuerySchema,
  IncidentDetailOutSchema,
  IncidentOutSchema,
  IncidentParamsSchema,
  IncidentsQuerySchema,
} from '../schemas/incident.js';
import { actionOut, auditOut, incidentDetailOut, incidentOut } from '../serialize.js';
import { resolveTarget } from '../target-ref.js';
import type { RouteOptions } from '../types.js';

const DEFAULT_LIMIT = 100;

export const incidentRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { controller }) => {
  const { store } = controller;

  app.get(
    '/incidents',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Incidents, newest first',
        querystring: IncidentsQuerySchema,
        response: { 200: z.array(IncidentOutSchema), ...errorResponses },
      },
    },
    async (req) => {
      const { open, target, limit } = req.query;
      const filter: IncidentFilter = { limit: limit ?? DEFAULT_LIMIT };
      if (open !== undefined) filter.open = open;
      // History outlives inventory: an explicit host:x / vm:x may name a removed target.
      if (target !== undefined) filter.targetId = await resolveTarget(store, target, { mustExist: false });
      return (await store.listIncidents(filter)).map(incidentOut);
    },
  );

  app.get(
    '/incidents/:id',
    {
      schema: {
        tags: ['incidents'],
        summary: 'One incident with its timeline and actions (URL-encode the id: host%3Ahv1%231)',
        params: IncidentParamsSchema,
        response: { 200: IncidentDetailOutSchema, ...errorResponses },
      },
    },
    async (req) => {
      const detail = await store.getIncident(req.params.id);
      if (!detail) throw new RrcError('RRC_ERR_NOT_FOUND', `incident "${req.params.id}"`);
      return incidentDetailOut(detail);
    },
  );

  app.get(
    '/actions',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Recovery actions, optionally of one incident',
        querystring: ActionsQuerySchema,
        response: { 200: z.array(ActionOutSchema), ...errorResponses },
      },
    },
    async (req) => {
      const { incident, limit } = req.query;
      const filter: { incidentId?: string; limit?: number } = { limit: limit ?? DEFAULT_LIMIT };
      if (incident !== undefined) filter.incidentId = incident;
      return (await store.listActions(filter)).map(actionOut);
    },
  );

  app.get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'Audit log: every write request (with its outcome) and what the controller did for it, newest first',
        querystring: AuditQuerySchema,
        response: { 200: z.array(AuditOutSchema), ...errorResponses },
      },
    },
    async (req) => {
      const { limit, actor, target, since, outcome } = req.query;
      const filter: AuditFilter = { limit: limit ?? DEFAULT_LIMIT };
      if (actor !== undefined) filter.actor = actor;
      if (target !== undefined) filter.target = target;
      if (since !== undefined) filter.since = Date.parse(since);
      if (outcome !== undefined) filter.outcome = outcome;
      return (await store.listAudit(filter)).map(auditOut);
    },
  );
};
