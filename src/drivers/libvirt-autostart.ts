/**
 * Domain autostart through `virsh`, because @unraid/libvirt (2.2.1, the newest release) binds
 * neither virDomainGetAutostart nor virDomainSetAutostart. virsh is libvirt's own client
 * (Debian libvirt-clients), speaks to the same hypervisor URI and needs no new dependency.
 * One bounded child per call, argv only (no shell), C locale so its output parses.
 *
 * A domain with autostart on comes back by itself when its host boots: after the controller
 * moved it elsewhere, that is a VM running on two hosts. So the controller keeps it off.
 */
import { RrcError } from '../errors.js';
import { execBounded, type ExecFn, type ExecResult } from './exec.js';

export interface VirshOptions {
  virshPath?: string;
  exec?: ExecFn;
  /** Hard limit per virsh run. Default 10 s. */
  timeoutMs?: number;
}

export class VirshAutostart {
  private readonly virsh: string;
  private readonly exec: ExecFn;
  private readonly timeoutMs: number;

  constructor(opts: VirshOptions = {}) {
    this.virsh = opts.virshPath ?? 'virsh';
    this.exec = opts.exec ?? execBounded;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** `domain` is a UUID (preferred: names can be reused) or a name. */
  async get(uri: string, domain: string): Promise<boolean> {
    const out = await this.run(uri, ['dominfo', domain], `dominfo ${domain}`);
    const m = /^Autostart:\s*(enable|disable)/im.exec(out);
    if (!m?.[1]) throw new RrcError('RRC_ERR_DRIVER', `${uri}: virsh dominfo ${domain}: no Autostart line in its output`);
    return m[1].toLowerCase() === 'enable';
  }

  /** UUIDs of every defined domain with autostart on: one run per host, for drift checks. */
  async listOn(uri: string): Promise<string[]> {
    const out = await this.run(uri, ['list', '--all', '--autostart', '--uuid'], 'list --autostart');
    return out.split('\n').map((l) => l.trim().toLowerCase()).filter((l) => /^[0-9a-f-]{36}$/.test(l)).sort();
  }

  async set(uri: string, domain: string, on: boolean): Promise<void> {
    await this.run(uri, on ? ['autostart', domain] : ['autostart', '--disable', domain], `autostart ${on ? 'on' : 'off'} ${domain}`);
  }

  private async run(uri: string, args: string[], what: string): Promise<string> {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' };
    // qemu+ssh:// URIs need the user's SSH setup (keys, agent, known_hosts).
    for (const k of ['HOME', 'SSH_AUTH_SOCK', 'XDG_RUNTIME_DIR']) {
      const v = process.env[k];
      if (v) env[k] = v;
    }
    const res = await this.exec({ file: this.virsh, args: ['-q', '-c', uri, ...args], env, timeoutMs: this.timeoutMs });
    const err = classify(uri, what, res, this.virsh, this.timeoutMs);
    if (err) throw err;
    return res.stdout;
  }
}

function classify(uri: string, what: string, res: ExecResult, virsh: string, timeoutMs: number): RrcError | undefined {
  const where = `${uri}: virsh ${what}`;
  if (res.spawnError) {
    if (res.spawnError.code === 'ENOENT') {
      return new RrcError('RRC_ERR_MISSING_DEPENDENCY', `${virsh} not found (install Debian package libvirt-clients)`);
    }
    return new RrcError('RRC_ERR_DRIVER', `${where}: cannot start virsh: ${res.spawnError.message}`);
  }
  if (res.timedOut) return new RrcError('RRC_ERR_DRIVER_TIMEOUT', `${where}: no answer within ${timeoutMs} ms`);
  if (res.code === 0) return undefined;
  const msg = res.stderr.split('\n').map((l) => l.replace(/^error:\s*/, '').trim()).filter(Boolean).join('; ').slice(0, 300);
  if (/failed to get domain|domain not found|no domain with matching/i.test(msg)) return new RrcError('RRC_ERR_NOT_FOUND', `domain (${where}: ${msg})`);
  if (/failed to connect|cannot connect|connection refused|no route|end of file/i.test(msg)) {
    return new RrcError('RRC_ERR_UNREACHABLE', `${where}: ${msg}`);
  }
  return new RrcError('RRC_ERR_DRIVER', `${where}: exit ${res.code ?? res.signal}: ${msg}`);
}
