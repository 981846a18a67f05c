/** The `api:` paths (TLS files, token file) are taken from the config file's folder when relative. */
import { isAbsolute, resolve } from 'node:path';
import type { ApiAccessConfig } from './schemas/api-access.js';

export function resolveApiPaths<T extends ApiAccessConfig>(api: T, base: string): T {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const out: T = { ...api };
  if (api.tokenFile !== undefined) out.tokenFile = abs(api.tokenFile);
  if (api.tls) out.tls = { certFile: abs(api.tls.certFile), keyFile: abs(api.tls.keyFile) };
  return out;
}
