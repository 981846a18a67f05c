/**
 * What a person asks for, checked the same way by the CLI (before sending) and the API (the zod
 * body of POST /requests): sizes and durations with units, an owner that can be a user name on
 * the machine, one-line SSH keys. The catalogue names are checked against the controller's
 * catalogue (catalogue.ts), which only the controller knows for sure.
 */
import { z } from 'zod';
import { durationMsSchema, sizeGbSchema, sshKeySchema } from './config-schema.js';

export { sshKeySchema };

/** The owner becomes the user on the machine: useradd's portable names. */
export const OWNER_RE = /^[a-z_][a-z0-9_-]{0,31}$/;
export const ownerSchema = z.string().regex(OWNER_RE, { error: 'must be a user name: lowercase letters, digits, "_" or "-", at most 32, not starting with a digit' });

export const RequestCreateSchema = z.strictObject({
  cores: z.int().min(1).max(1024),
  /** "8G" */
  ram: sizeGbSchema,
  /** "200G", "1T" */
  disk: sizeGbSchema,
  os: z.string().min(1),
  /** "htcondor,cvmfs" or a list */
  middleware: z.union([z.string(), z.array(z.string())]).optional(),
  /** "6h" */
  for: durationMsSchema,
  /** Default: the token's name (or "admin" without tokens); only an admin may ask for someone else. */
  owner: ownerSchema.optional(),
  queue: z.boolean().default(false),
  physical: z.boolean().default(false),
  sshKeys: z.array(sshKeySchema).max(16).default([]),
});

export type RequestCreateInput = z.input<typeof RequestCreateSchema>;
export type RequestCreate = z.output<typeof RequestCreateSchema>;

export const RequestExtendSchema = z.strictObject({ by: durationMsSchema });
