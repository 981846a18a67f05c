/**
 * Real witnesses (issue 9): independent evidence that a target is down, not merely out of the
 * controller's sight.
 *
 * - peersReach: over SSH (the RemoteShell, strict known_hosts) each peer runs a bounded TCP
 *   connect test to the target's address and SSH port: `timeout N bash -c '</dev/tcp/ADDR/PORT'`.
 *   Address and port are validated before they go into the command (IP literal or DNS name,
 *   integer port), so nothing from the inventory can inject shell syntax. Peers are asked in
 *   parallel, at most `concurrency` at once, each call under its own deadline.
 * - selfCheck: TCP connects from the controller itself to configured `host:port` witnesses
 *   (gateway, DNS...). With none configured it has nothing to fail on and reports ok.
 */
import { isIP } from 'node:net';
import type { HostSpec } from '../../core/types.js';
import { tcpConnect } from '../../drivers/net-check.js';
import { RrcError, errorText } from '../../errors.js';
import type { Logger, PeerReachReport, RemoteShell, SelfCheck, Witnesses } from '../env.js';

export interface RealWitnessOptions {
  shell: RemoteShell;
  /** `host:port` addresses the controller must reach (its own vantage point). Default none. */
  selfCheckAddresses?: readonly string[];
  /** Seconds the peer's connect test may take (`timeout N`). Default 3. */
  connectTimeoutSeconds?: number;
  /** Deadline of one SSH call to a peer, connect included. Default connect test + 5 s. */
  sshTimeoutMs?: number;
  /** Deadline of one self-check connect. Default 3 s. */
  selfCheckTimeoutMs?: number;
  /** Peers (and self-check addresses) asked at once. Default 8. */
  concurrency?: number;
  log?: Logger;
}

/** What `timeout` exits with when the command ran out of time (coreutils). */
const TIMEOUT_EXIT = 124;
const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An address safe to put into a shell command: an IP literal or a DNS name, nothing else. */
export function safeAddress(address: string): boolean {
  if (isIP(address) !== 0) return /^[0-9A-Fa-f:.]+$/.test(address); // no IPv6 zone ids (`%eth0`)
  return DNS_NAME.test(address);
}

export function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** The target's address and SSH port, validated. */
export function witnessEndpoint(target: HostSpec): { address: string; port: number } {
  const address = target.ssh?.host ?? target.ip;
  const port = target.ssh?.port ?? 22;
  if (!safeAddress(address) || !validPort(port)) {
    throw new RrcError('RRC_ERR_VALIDATION', `host ${target.name}: witness endpoint ${JSON.stringify(address)}:${port} is not an address and port`);
  }
  return { address, port };
}

/** The peer-side connect test; its inputs must have passed `witnessEndpoint`. */
export function connectTestCommand(address: string, port: number, timeoutSeconds: number): string {
  if (!safeAddress(address) || !validPort(port) || !Number.isInteger(timeoutSeconds) || timeoutSeconds < 1) {
    throw new RrcError('RRC_ERR_VALIDATION', `connect test: refusing ${JSON.stringify(address)}:${port} / ${timeoutSeconds} s`);
  }
  return `timeout ${timeoutSeconds} bash -c '</dev/tcp/${address}/${port}'`;
}

/** Parses a configured `host:port` (or `[v6]:port`) self-check witness. */
export function parseWitnessAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (host === undefined || !safeAddress(host) || !validPort(port)) {
    throw new RrcError('RRC_ERR_CONFIG_INVALID', `witness address ${JSON.stringify(text)}: expected host:port`);
  }
  return { host, port };
}

/** Runs `work` over `items` with at most `limit` in flight; results keep the input order. */
async function boundedMap<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}

export class RealWitnesses implements Witnesses {
  private readonly shell: RemoteShell;
  private readonly addresses: { text: string; host: string; port: number }[];
  private readonly connectSeconds: number;
  private readonly sshTimeoutMs: number;
  private readonly selfCheckTimeoutMs: number;
  private readonly concurrency: number;

  constructor(private readonly opts: RealWitnessOptions) {
    this.shell = opts.shell;
    this.addresses = (opts.selfCheckAddresses ?? []).map((text) => ({ text, ...parseWitnessAddress(text) }));
    this.connectSeconds = opts.connectTimeoutSeconds ?? 3;
    if (!Number.isInteger(this.connectSeconds) || this.connectSeconds < 1) {
      throw new RrcError('RRC_ERR_CONFIG_INVALID', `witness connectTimeoutSeconds must be a whole number >= 1, not ${this.connectSeconds}`);
    }
    this.sshTimeoutMs = opts.sshTimeoutMs ?? this.connectSeconds * 1000 + 5000;
    this.selfCheckTimeoutMs = opts.selfCheckTimeoutMs ?? 3000;
    this.concurrency = opts.concurrency ?? 8;
  }

  async peersReach(target: HostSpec, peers: HostSpec[]): Promise<PeerReachReport[]> {
    const { address, port } = witnessEndpoint(target);
    const command = connectTestCommand(address, port, this.connectSeconds);
    const where = `${address}:${port}`;
    return boundedMap(peers, this.concurrency, async (peer): Promise<PeerReachReport> => {
      const notAsked = (detail: string): PeerReachReport => ({ peer: peer.name, asked: false, reached: false, detail });
      if (peer.name === target.name) return notAsked('peer is the target');
      if (!peer.ssh) return notAsked('peer has no ssh endpoint');
      let result;
      try {
        result = await this.shell.run(peer.ssh, command, { timeoutMs: this.sshTimeoutMs });
      } catch (e) {
        return notAsked(`peer unreachable: ${errorText(e)}`);
      }
      const report = ((): PeerReachReport => {
        if (result.code === 0) return { peer: peer.name, asked: true, reached: true, detail: `reaches ${where}` };
        // bash exits 1 when the connect fails (refused, no route); timeout exits 124.
        if (result.code === 1 || result.code === TIMEOUT_EXIT) {
          const why = result.code === TIMEOUT_EXIT ? `timed out after ${this.connectSeconds} s` : result.stderr.trim().split('\n').pop() || 'connect failed';
          return { peer: peer.name, asked: true, reached: false, detail: `cannot reach ${where}: ${why}` };
        }
        // 126/127 (no bash or timeout on the peer), 255 (killed)...: the peer could not run the test.
        return notAsked(`connect test failed on the peer: exit ${result.code}: ${result.stderr.trim().slice(0, 200)}`);
      })();
      this.opts.log?.debug({ target: target.name, ...report }, 'peer witness');
      return report;
    });
  }

  async selfCheck(): Promise<SelfCheck> {
    const outcomes = await boundedMap(this.addresses, this.concurrency, async (a) => {
      try {
        await tcpConnect(a.host, a.port, this.selfCheckTimeoutMs);
        return undefined;
      } catch (e) {
        return `witness ${a.text} unreachable (${errorText(e)})`;
      }
    });
    const failed = outcomes.filter((f): f is string => f !== undefined);
    if (failed.length > 0) this.opts.log?.warn({ failed }, 'self-check failed');
    return { ok: failed.length === 0, failed };
  }
}

/**
 * For Envs built by hand without SSH (tests of other parts): no peer can be asked, so no peer is
 * ever evidence; the self-check has nothing configured to fail on.
 */
export const unconfiguredWitnesses: Witnesses = {
  peersReach: (_target, peers) =>
    Promise.resolve(peers.map((p) => ({ peer: p.name, asked: false, reached: false, detail: 'witnesses not configured' }))),
  selfCheck: () => Promise.resolve({ ok: true, failed: [] }),
};
