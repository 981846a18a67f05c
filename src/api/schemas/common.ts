/**
 * Building blocks shared by the API, the CLI and the config loader.
 * Input schemas may normalize (trim, lowercase); response schemas must stay transform-free because
 * the zod serializer *encodes* responses and the OpenAPI generator renders them.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

/** Hosts are DNS labels so they can double as hostnames and PXE file names. */
export const HOST_NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** VM names follow libvirt habits (dots, underscores, upper case) but never ':' or '/' (target ids, URLs). */
export const VM_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Secret names are looked up in the config `secrets:` map. */
export const SECRET_REF_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const hostNameSchema = z
  .string()
  .regex(HOST_NAME_RE, { error: 'must be a DNS label: 1-63 lowercase letters, digits or "-", not starting or ending with "-"' });

export const vmNameSchema = z
  .string()
  .regex(VM_NAME_RE, { error: 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit' });

export const secretRefSchema = z
  .string()
  .regex(SECRET_REF_RE, { error: 'must name a secret (letters, digits, ".", "_", "-"), not contain the secret itself' });

export const portSchema = z.int().min(1).max(65535);

export const ipSchema = z
  .string()
  .trim()
  .refine((s) => isIP(s) !== 0, { error: (iss) => `must be an IPv4 or IPv6 address, got ${JSON.stringify(iss.input)}` });

/** An IP address or a hostname (BMC, SSH endpoints). */
export const addressSchema = z
  .string()
  .trim()
  .refine((s) => isIP(s) !== 0 || /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(s), {
    error: (iss) => `must be an IP address or a hostname, got ${JSON.stringify(iss.input)}`,
  });

/** A shell command line run over SSH (restart commands, checks). */
export const commandSchema = z.string().trim().min(1, { error: 'must not be empty' });

const MAC_FORMS = [
  /^[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$/i, // aa:bb:cc:dd:ee:ff or aa-bb-...
  /^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i, // aabb.ccdd.eeff (Cisco)
  /^[0-9a-f]{12}$/i, // aabbccddeeff
];

/** Lowercase colon form, or null when `text` is not a MAC in a common notation. */
export function normalizeMac(text: string): string | null {
  const t = text.trim();
  if (!MAC_FORMS.some((re) => re.test(t))) return null;
  const hex = t.toLowerCase().replace(/[^0-9a-f]/g, '');
  return (hex.match(/../g) as string[]).join(':');
}

/** PXE and the unique-MAC index need one canonical spelling, so every MAC is normalized on input. */
export const macSchema = z
  .string()
  .refine((s) => normalizeMac(s) !== null, {
    error: (iss) => `invalid MAC address ${JSON.stringify(iss.input)} (expected e.g. 52:54:00:12:34:56)`,
  })
  .transform((s) => normalizeMac(s) as string)
  .refine((m) => (parseInt(m.slice(0, 2), 16) & 1) === 0 && m !== '00:00:00:00:00:00', {
    error: (iss) => `MAC address ${JSON.stringify(iss.input)} is not a unicast NIC address`,
  });

/** Non-empty list of MACs, normalized, without duplicates (reported at the duplicate's index). */
export const macListSchema = z
  .array(macSchema)
  .min(1, { error: 'at least one MAC address is required' })
  .superRefine((macs, ctx) => {
    macs.forEach((m, i) => {
      if (macs.indexOf(m) !== i) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate MAC address ${m}` });
    });
  });

/** Response timestamps: ISO-8601 strings (the store keeps epoch milliseconds). */
export const isoTimeSchema = z.iso.datetime();

export function toIso(ms: number): string;
export function toIso(ms: number | null): string | null;
export function toIso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** The body of every error response, whatever produced it. */
export const ErrorResponseSchema = z.object({
  error: z.string().describe('RRC_ERR_* code'),
  message: z.string(),
  details: z.unknown().optional(),
});
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;

/** Error statuses every route can answer; spread into each route's `response`. */
export const errorResponses = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  403: ErrorResponseSchema,
  404: ErrorResponseSchema,
  421: ErrorResponseSchema,
  409: ErrorResponseSchema,
  500: ErrorResponseSchema,
  502: ErrorResponseSchema,
  503: ErrorResponseSchema,
  504: ErrorResponseSchema,
} as const;

export const NameParamsSchema = z.strictObject({ name: z.string().min(1) });

/** Query-string limit: strings on the wire, a bounded integer after parsing. */
export const limitSchema = z.coerce.number().int().min(1).max(1000);
