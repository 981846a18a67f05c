/**
 * OpenSSH known_hosts lookup. The SSH driver refuses any host key not listed here:
 * a controller that power-cycles machines must not run commands on an impostor.
 * Supported: plain and `[host]:port` names, comma lists, hashed names (`|1|salt|hash`),
 * `!negation`, `@revoked` (always refused); `@cert-authority` lines are ignored.
 * Written only by a reinstall's callback: KnownHostsStore replaces the key of that one host.
 */
import { createHmac } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

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

/**
 * One ed25519 public key line as a host reports it (`ssh-ed25519 <base64> [comment]`, e.g. the
 * content of ssh_host_ed25519_key.pub), checked down to the blob: 4-byte length, "ssh-ed25519",
 * 4-byte length 32, 32 key bytes. Returns the canonical `ssh-ed25519 <base64>` (comment dropped).
 */
export function parseEd25519KeyLine(text: string): { ok: true; key: string } | { ok: false; reason: string } {
  const line = text.replace(/\r?\n$/, '');
  if (line.length > 512) return { ok: false, reason: 'longer than one key line' };
  if (/[\r\n]/.test(line)) return { ok: false, reason: 'more than one line' };
  const m = /^ssh-ed25519 ([A-Za-z0-9+/]+={0,2})(?: [\x20-\x7e]{0,200})?$/.exec(line.trim());
  if (!m) return { ok: false, reason: 'not an "ssh-ed25519 <base64> [comment]" line' };
  const blob = Buffer.from(m[1]!, 'base64');
  const type = 'ssh-ed25519';
  const ok =
    blob.length === 4 + type.length + 4 + 32 &&
    blob.readUInt32BE(0) === type.length &&
    blob.toString('latin1', 4, 4 + type.length) === type &&
    blob.readUInt32BE(4 + type.length) === 32 &&
    blob.toString('base64') === m[1];
  return ok ? { ok: true, key: `${type} ${m[1]}` } : { ok: false, reason: 'the base64 is not an ed25519 public key' };
}

/**
 * known_hosts text with the keys of `names` replaced by `keyLine` (`type base64`), every other
 * line kept as it was: other hosts' lines, comments, @cert-authority and @revoked lines, and
 * wildcard patterns. A line that lists one of `names` among other hosts keeps the others.
 */
export function replaceHostKeys(text: string, names: readonly string[], keyLine: string): { text: string; removed: number } {
  const ours = (p: string) => names.some((n) => (p.startsWith('|1|') ? matchesPattern(p, n) : p.toLowerCase() === n.toLowerCase()));
  const out: string[] = [];
  let removed = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('@')) {
      if (raw !== '') out.push(raw);
      continue;
    }
    const [hosts, ...rest] = line.split(/\s+/);
    const patterns = hosts!.split(',');
    const kept = patterns.filter((p) => !ours(p));
    if (kept.length === patterns.length) {
      out.push(raw);
      continue;
    }
    removed++;
    if (kept.length > 0) out.push([kept.join(','), ...rest].join(' '));
  }
  out.push(`${names.join(',')} ${keyLine}`);
  return { text: `${out.join('\n')}\n`, removed };
}

/**
 * The controller's known_hosts file, written by the reinstall callback: one host's key is
 * replaced atomically (temporary file, then rename), one write at a time.
 */
export class KnownHostsStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  /** Records `keyLine` as the only key of `names` (see replaceHostKeys); resolves with the lines removed. */
  replace(names: readonly string[], keyLine: string): Promise<{ removed: number }> {
    const run = this.queue.then(() => this.write(names, keyLine));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async write(names: readonly string[], keyLine: string): Promise<{ removed: number }> {
    let old = '';
    let mode = 0o644;
    try {
      old = await readFile(this.file, 'utf8');
      mode = (await stat(this.file)).mode & 0o777;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    }
    const next = replaceHostKeys(old, names, keyLine);
    const tmp = `${this.file}.3rc-${process.pid}.tmp`;
    await writeFile(tmp, next.text, { mode });
    await rename(tmp, this.file);
    return { removed: next.removed };
  }
}
