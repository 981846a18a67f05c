/**
 * What leaks or blinds: a password written into the config (a BMC password where `secretRef`
 * belongs, a store URL with its password), an API reachable from the network without TLS, a real
 * controller with no self-check of its own vantage point.
 */
import { isIP } from 'node:net';
import { parseListen } from './schema.js';
import { dig, isObject, list, str, type ProblemList } from './check-types.js';

/** Keys that hold a secret itself; the schema calls them unknown keys, we say what to do instead. */
const INLINE_SECRET_KEY = /^(password|passwd|pass|pwd|secret|token|privateKey|private_key|key)$/i;

/** Objects under which a secret key means a secret written inline (BMC and SSH endpoints, secret sources). */
function endpoints(raw: unknown): Array<{ path: PropertyKey[]; value: unknown; ref: string }> {
  const out: Array<{ path: PropertyKey[]; value: unknown; ref: string }> = [];
  list(dig(raw, 'inventory', 'hosts')).forEach((h, i) => {
    out.push({ path: ['inventory', 'hosts', i, 'bmc'], value: dig(h, 'bmc'), ref: 'secretRef' });
    out.push({ path: ['inventory', 'hosts', i, 'ssh'], value: dig(h, 'ssh'), ref: 'keyRef' });
  });
  list(dig(raw, 'inventory', 'vms')).forEach((v, i) => out.push({ path: ['inventory', 'vms', i, 'ssh'], value: dig(v, 'ssh'), ref: 'keyRef' }));
  const secrets = dig(raw, 'secrets');
  if (isObject(secrets)) for (const [name, s] of Object.entries(secrets)) out.push({ path: ['secrets', name], value: s, ref: 'env or file' });
  return out;
}

/** Paths of inline secrets found (so the caller can drop the schema's "unknown key" for them). */
export function checkInlineSecrets(raw: unknown, out: ProblemList): void {
  for (const e of endpoints(raw)) {
    if (!isObject(e.value)) continue;
    for (const key of Object.keys(e.value)) {
      if (!INLINE_SECRET_KEY.test(key)) continue;
      out.error(
        [...e.path, key],
        e.ref === 'env or file'
          ? 'the secret itself never goes in the config: give env (a variable name) or file (a path to a 0600 file)'
          : `the secret itself never goes in the config: declare it under secrets (env or file) and name it with ${e.ref}`,
        'inline-secret',
      );
    }
  }
  const url = str(dig(raw, 'store', 'url'));
  if (url !== undefined && hasPassword(url)) {
    out.warn(['store', 'url'], 'the store URL carries a password: anyone who reads this file has the database; give the URL in RRC_DB_URL (the service\'s env file) instead', 'store-url-password');
  }
}

function hasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return /\/\/[^/@]*:[^@/]*@/.test(url);
  }
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

export function checkExposure(raw: unknown, out: ProblemList): void {
  const listen = str(dig(raw, 'api', 'listen'));
  const where = listen === undefined ? null : parseListen(listen);
  if (where && !isLoopback(where.host) && !isObject(dig(raw, 'api', 'tls'))) {
    out.warn(['api', 'listen'], `the API listens on ${listen} without api.tls: bearer tokens cross the network in clear text`, 'api-without-tls');
  }
  if (str(dig(raw, 'environment', 'kind')) === 'real' && list(dig(raw, 'witnesses', 'selfCheck')).length === 0) {
    out.warn(
      ['witnesses', 'selfCheck'],
      'no self-check address: a controller cut off from the rack cannot tell, and only peer witnesses and the storm guard stand between it and fencing healthy hosts',
      'no-self-check',
    );
  }
}
