/** API tokens on the wire: the token itself appears only in the answer to its creation. */
import { z } from 'zod';
import { ROLES } from '../../store/types.js';
import { isoTimeSchema } from './common.js';

export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@:+-]{0,63}$/;

export const TokenCreateBodySchema = z.strictObject({
  name: z.string().regex(TOKEN_NAME_PATTERN, { error: 'must be 1-64 letters, digits or _.@:+- (who holds the token)' }),
  role: z.enum(ROLES),
});

export const TokenOutSchema = z.object({
  name: z.string(),
  role: z.enum(ROLES),
  createdAt: isoTimeSchema,
  createdBy: z.string(),
});
export type TokenOut = z.infer<typeof TokenOutSchema>;

export const TokenCreatedOutSchema = TokenOutSchema.extend({
  token: z.string().describe('the bearer token; shown once, stored only as its SHA-256'),
});
