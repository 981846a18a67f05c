/** The config's `notify:` section: webhook receivers (checked against `secrets:` in src/config/schema.ts). */
import { z } from 'zod';
import { SECRET_REF_RE } from '../api/schemas/common.js';
import { DEFAULT_RETRY, NOTIFICATION_TYPES } from './types.js';

const RetryScheduleSchema = z
  .strictObject({
    maxAttempts: z.int().min(1).max(50).default(DEFAULT_RETRY.maxAttempts),
    initialSeconds: z.number().positive().max(3600).default(DEFAULT_RETRY.initialSeconds),
    maxSeconds: z.number().positive().max(86_400).default(DEFAULT_RETRY.maxSeconds),
    factor: z.number().min(1).max(10).default(DEFAULT_RETRY.factor),
    jitter: z.number().min(0).max(1).default(DEFAULT_RETRY.jitter),
  })
  .refine((r) => r.maxSeconds >= r.initialSeconds, { error: 'maxSeconds must not be below initialSeconds', path: ['maxSeconds'] })
  .prefault({});

export const WebhookReceiverSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits and . _ - (at most 64)'),
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  /** A name under `secrets:` (env or file): the HMAC key. */
  secretRef: z.string().regex(SECRET_REF_RE, { error: 'invalid secret name' }),
  events: z.array(z.enum(NOTIFICATION_TYPES)).min(1).optional(),
  timeoutSeconds: z.number().positive().max(120).default(5),
  retry: RetryScheduleSchema,
  queueSize: z.int().min(1).max(100_000).default(1000),
});

export const NotifyConfigSchema = z
  .strictObject({ webhooks: z.array(WebhookReceiverSchema).max(32).default([]) })
  .superRefine((n, ctx) => {
    const seen = new Map<string, number>();
    n.webhooks.forEach((w, i) => {
      const first = seen.get(w.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['webhooks', i, 'name'], message: `duplicate webhook name "${w.name}" (also notify.webhooks[${first}])` });
      else seen.set(w.name, i);
    });
  })
  .prefault({});
