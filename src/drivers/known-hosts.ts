/**
 * OpenSSH known_hosts lookup. The SSH driver refuses any host key not listed here:
 * a controller that power-cycles machines must not run commands on an impostor.
 * Supported: plain and `[host]:port` names, comma lists, hashed names (`|1|salt|hash`),
 * `!negation`, `@revoked` (always refused); `@cert-authority` lines are ignored.
 */
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export interface KnownHostKey {
  type: string;
  blob: Buffer;
  revoked: boolean;
}

/** The name OpenSSH writes for an endpoint: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function matchesPattern(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    const h = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return h === hash;
  }
  if (!/[*?]/.test(pattern)) return pattern.toLowerCase() === name.toLowerCase();
  const re = new RegExp(
    `^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(name);
}

function hostFieldMatches(field: string, name: string): boolean {
  let matched = false;
  for (const p of field.split(',')) {
    if (p.startsWith('!')) {
      if (matchesPattern(p.slice(1), name)) return false;
    } else if (matchesPattern(p, name)) {
      matched = true;
    }
  }
  return matched;
}

/** Keys listed for `host:port` in known_hosts text. */
export function parseKnownHosts(text: string, host: string, port: number): KnownHostKey[] {
  const name = knownHostsName(host, port);
  const keys: KnownHostKey[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]?.startsWith('@')) {
      const marker = fields.shift();
      if (marker === '@cert-authority') continue;
      revoked = marker === '@revoked';
    }
    const [hosts, type, b64] = fields;
    if (!hosts || !type || !b64) continue;
    if (!hostFieldMatches(hosts, name)) continue;
    keys.push({ type, blob: Buffer.from(b64, 'base64'), revoked });
  }
  return keys;
}

export async function readKnownHosts(file: string, host: string, port: number): Promise<KnownHostKey[]> {
  return parseKnownHosts(await readFile(file, 'utf8'), host, port);
}

const SUPPORTED = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'] as const;
export type HostKeyAlgorithm = (typeof SUPPORTED)[number] | 'rsa-sha2-512' | 'rsa-sha2-256' | 'ssh-rsa';

/** ssh2 algorithm names for the key types listed, so the server offers a key we can check. */
export function hostKeyAlgorithms(keys: KnownHostKey[]): HostKeyAlgorithm[] {
  const out = new Set<HostKeyAlgorithm>();
  for (const k of keys) {
    if (k.revoked) continue;
    if (k.type === 'ssh-rsa') (['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] as const).forEach((a) => out.add(a));
    else if ((SUPPORTED as readonly string[]).includes(k.type)) out.add(k.type as HostKeyAlgorithm);
  }
  return [...out];
}
