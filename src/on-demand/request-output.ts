/**
 * Requests as the API answers them (ISO times, no transforms: the zod serializer encodes these),
 * and the catalogue listing. Shared by the API routes and the CLI's printing.
 */
import { z } from 'zod';
import { REQUEST_STATES, type RequestEventRecord, type RequestRecord } from '../store/types.js';
import type { Catalogue } from './catalogue-types.js';

const iso = z.string().nullable();

export const RequestOutSchema = z.object({
  id: z.string(),
  owner: z.string(),
  state: z.enum(REQUEST_STATES),
  kind: z.enum(['vm', 'physical']),
  cores: z.number(),
  ramGb: z.number(),
  diskGb: z.number(),
  os: z.string(),
  middleware: z.array(z.string()),
  durationSeconds: z.number(),
  queue: z.boolean(),
  host: z.string().nullable(),
  /** Where it runs now: the inventory's word (a recovery may have moved it). */
  runsOn: z.string().nullable(),
  machine: z.string().nullable(),
  address: z.string().nullable(),
  createdAt: z.string(),
  placedAt: iso,
  readyAt: iso,
  expiresAt: iso,
  endedAt: iso,
  /** Warnings given so far for the current end, as offsets before it (seconds). */
  warningsGiven: z.array(z.number()),
  endReason: z.string().nullable(),
  erasedHow: z.string().nullable(),
  error: z.string().nullable(),
});
export type RequestOut = z.infer<typeof RequestOutSchema>;

export const RequestEventOutSchema = z.object({ at: z.string(), kind: z.string(), message: z.string() });
export const RequestDetailOutSchema = RequestOutSchema.extend({ timeline: z.array(RequestEventOutSchema) });
export type RequestDetailOut = z.infer<typeof RequestDetailOutSchema>;

export const CatalogueOutSchema = z.object({
  os: z.array(z.object({ name: z.string(), description: z.string(), kind: z.enum(['image', 'install']) })),
  middleware: z.array(z.object({ name: z.string(), description: z.string(), packages: z.array(z.string()) })),
});
export type CatalogueOut = z.infer<typeof CatalogueOutSchema>;

const isoOf = (t: number | null) => (t === null ? null : new Date(t).toISOString());

export function requestOut(r: RequestRecord, runsOn: string | null): RequestOut {
  return {
    id: r.id,
    owner: r.owner,
    state: r.state,
    kind: r.kind,
    cores: r.cores,
    ramGb: r.ramGb,
    diskGb: r.diskGb,
    os: r.os,
    middleware: [...r.middleware],
    durationSeconds: Math.round(r.durationMs / 1000),
    queue: r.queue,
    host: r.host,
    runsOn,
    machine: r.vmName,
    address: r.address,
    createdAt: new Date(r.createdAt).toISOString(),
    placedAt: isoOf(r.placedAt),
    readyAt: isoOf(r.readyAt),
    expiresAt: isoOf(r.expiresAt),
    endedAt: isoOf(r.endedAt),
    warningsGiven: r.warned.map((o) => Math.round(o / 1000)),
    endReason: r.endReason,
    erasedHow: r.erasedHow,
    error: r.error,
  };
}

export function requestEventOut(e: RequestEventRecord) {
  return { at: new Date(e.at).toISOString(), kind: e.kind, message: e.message };
}

export function catalogueOut(c: Catalogue): CatalogueOut {
  return {
    os: c.os.map((o) => ({ name: o.name, description: o.description, kind: o.kind })),
    middleware: c.middleware.map((m) => ({ name: m.name, description: m.description, packages: [...m.packages] })),
  };
}
