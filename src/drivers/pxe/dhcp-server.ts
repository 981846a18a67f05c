/**
 * Static-only DHCP server for the reinstall rung: answers only the MACs in its host table,
 * hands out each host's fixed address and the boot file its firmware needs.
 *
 * Built on our own bounds-checked codec (dhcp-codec.ts) because the `dhcp` package's server
 * dies on real iPXE traffic (see that file). Every packet goes through one try/catch: a bad
 * packet is dropped and counted by reason, never fatal; the sockets always have an 'error'
 * listener; event listeners that throw are caught the same way.
 *
 * Sockets: the listen socket is bound to `bindAddress` (default 0.0.0.0, needed to receive
 * 255.255.255.255 broadcasts: Node has no SO_BINDTODEVICE). Replies go out of a second socket
 * bound to `address`, so that Linux routes limited broadcasts out of the interface owning that
 * address rather than out of the default route.
 */
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { Clock, Logger } from '../../env/env.js';
import { classifyClient, DEFAULT_BOOT_FILES, selectBootFile, type BootFileNames } from './boot-select.js';
import {
  decodeRequest, DhcpDecodeError, encodeReply, ipToBytes, MSG, normalizeMac, OPT, optText, optU8,
  type DhcpReply, type DhcpRequest, type DropReason,
} from './dhcp-codec.js';
import { buildOfferAck } from './dhcp-reply.js';
import { definedOnly } from './defined-only.js';
import { KeyedRateLimiter } from './rate-limit.js';
import { bindUdp } from './udp.js';

export { definedOnly } from './defined-only.js';

export interface DhcpHost {
  mac: string;
  ip: string;
  hostname: string;
  netmask?: string;
  router?: string;
}

export interface DhcpServerOptions {
  /** Our address on the provisioning network: server identifier, next-server, reply socket. */
  address: string;
  /** Listen address; default 0.0.0.0 (receives broadcasts). */
  bindAddress?: string;
  /** Default 67; 0 picks a free port (tests). */
  port?: number;
  /** Where broadcast replies go; default 68. */
  clientPort?: number;
  netmask: string;
  router?: string;
  dns?: string[];
  domain?: string;
  leaseSeconds?: number;
  /** TFTP server for siaddr / option 66; default `address`. */
  nextServer?: string;
  bootFiles?: Partial<BootFileNames>;
  /** Base of the iPXE script URLs, e.g. `http://198.18.0.1:8080`. */
  httpBase: string;
  hosts?: DhcpHost[];
  /**
   * Receive queue of the listen socket in bytes (default 4 MiB; Linux caps it at
   * net.core.rmem_max). A PXE storm arrives in bursts: with the kernel's default (about 200 KiB,
   * some 90 queued requests) a pause of a few milliseconds (garbage collection, another process
   * on the core) overflowed it and requests were lost before we could read them.
   * null: leave the kernel's default (net.core.rmem_default), as the PXE bench's fair row does.
   */
  recvBufferBytes?: number | null;
  /**
   * Requests handled per client MAC (chaddr): a token bucket, default DEFAULT_PER_MAC_LIMIT.
   * Over it a request is dropped unanswered and counted (`rateLimited`), so one broken or
   * hostile client cannot take the server's time from the others. null: no limit (benchmarks).
   */
  perMacLimit?: { burst: number; refillMs: number } | null;
  /** MACs whose rate is remembered at most (least recently seen forgotten first); default 4096. */
  maxTrackedMacs?: number;
  log: Logger;
  clock: Clock;
}

export interface LeaseEvent {
  mac: string;
  ip: string;
  hostname: string;
  at: number;
  bootFile?: string;
}

export interface DhcpStats {
  received: number;
  requests: number;
  offers: number;
  acks: number;
  naks: number;
  releases: number;
  declines: number;
  informs: number;
  unknownMac: number;
  /** Valid packets we chose not to answer (REQUEST for another server...). */
  ignored: number;
  sendErrors: number;
  /** Requests dropped by the per-MAC limit; MACs tracked now; MACs forgotten to stay in bounds. */
  rateLimited: number;
  trackedMacs: number;
  evictedMacs: number;
  dropped: Partial<Record<DropReason, number>>;
  droppedTotal: number;
}

export interface Outgoing {
  packet: Buffer;
  address: string;
  port: number;
}

interface Lease {
  ip: string;
  state: 'offered' | 'bound' | 'released';
  expiresAt: number;
}

/** A host of the table and its reply templates. */
interface HostEntry {
  host: DhcpHost;
  /**
   * Encoded OFFER / ACK by boot file (null: no boot file) with xid, flags and giaddr zeroed: a
   * reply is its template patched with the request's three fields (nothing else in it depends on
   * the request). At most one per boot file; a changed host gets a new entry, so never stale.
   */
  templates: Record<typeof MSG.OFFER | typeof MSG.ACK, Map<string | null, Buffer>>;
}

const TEMPLATE_REQUEST = { xid: 0, flags: 0, giaddr: '0.0.0.0', ciaddr: '0.0.0.0', inform: false } as const;
const DEFAULT_RECV_BUFFER = 4 << 20;

/** A PXE boot asks twice (ROM, then iPXE: DISCOVER + REQUEST each) within seconds; a retrying client once per 2 s. */
export const DEFAULT_PER_MAC_LIMIT = { burst: 4, refillMs: 2000 } as const;
export const DEFAULT_MAX_TRACKED_MACS = 4096;

const UNKNOWN_LOG_INTERVAL_MS = 60_000;
const UNKNOWN_LOG_MAX = 1024;

export class DhcpServer extends EventEmitter {
  private readonly opts: Required<Pick<DhcpServerOptions, 'bindAddress' | 'clientPort' | 'leaseSeconds' | 'nextServer'>> &
    DhcpServerOptions;
  private readonly files: BootFileNames;
  private hosts = new Map<string, HostEntry>();
  private readonly netbootOff = new Set<string>();
  private readonly leases = new Map<string, Lease>();
  private readonly unknownLogged = new Map<string, number>();
  private readonly log: Logger;
  private readonly limiter?: KeyedRateLimiter;
  private listenSock?: dgram.Socket;
  private sendSock?: dgram.Socket;
  private boundPort = 0;
  private readonly counters: DhcpStats = {
    received: 0, requests: 0, offers: 0, acks: 0, naks: 0, releases: 0, declines: 0, informs: 0,
    unknownMac: 0, ignored: 0, sendErrors: 0, rateLimited: 0, trackedMacs: 0, evictedMacs: 0, dropped: {}, droppedTotal: 0,
  };

  constructor(options: DhcpServerOptions) {
    super();
    ipToBytes(options.address);
    ipToBytes(options.netmask);
    this.opts = {
      bindAddress: '0.0.0.0',
      clientPort: 68,
      leaseSeconds: 3600,
      nextServer: options.address,
      ...definedOnly(options),
    };
    this.files = { ...DEFAULT_BOOT_FILES, ...options.bootFiles };
    const limit = options.perMacLimit === undefined ? DEFAULT_PER_MAC_LIMIT : options.perMacLimit;
    if (limit !== null) {
      this.limiter = new KeyedRateLimiter(options.clock, { ...limit, maxKeys: options.maxTrackedMacs ?? DEFAULT_MAX_TRACKED_MACS });
    }
    this.log = options.log.child({ component: 'pxe-dhcp' });
    // We never emit 'error'; should anything else do so, it must not throw out of a handler.
    this.on('error', (e: unknown) => this.log.error({ err: String(e) }, 'dhcp server error'));
    this.setHosts(options.hosts ?? []);
  }

  /** Replace the host table (validated first: a bad entry throws and changes nothing). */
  setHosts(hosts: readonly DhcpHost[]): void {
    const next = new Map<string, HostEntry>();
    for (const h of hosts) {
      const e = hostEntry(h);
      next.set(e.host.mac, e);
    }
    this.hosts = next;
  }

  upsertHost(h: DhcpHost): void {
    const e = hostEntry(h);
    this.hosts.set(e.host.mac, e);
  }

  removeHost(mac: string): void {
    this.hosts.delete(normalizeMac(mac));
  }

  /** Off: the host still gets its address but no boot file (it boots from its disk). */
  setNetboot(mac: string, on: boolean): void {
    const m = normalizeMac(mac);
    if (on) this.netbootOff.delete(m);
    else this.netbootOff.add(m);
  }

  isNetbootEnabled(mac: string): boolean {
    return !this.netbootOff.has(normalizeMac(mac));
  }

  stats(): DhcpStats {
    const l = this.limiter?.stats();
    return { ...this.counters, trackedMacs: l?.tracked ?? 0, evictedMacs: l?.evicted ?? 0, dropped: { ...this.counters.dropped } };
  }

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<number> {
    const recvBufferSize = this.opts.recvBufferBytes === null ? undefined : (this.opts.recvBufferBytes ?? DEFAULT_RECV_BUFFER);
    const listen = await bindUdp(this.opts.bindAddress, this.opts.port ?? 67, { reuseAddr: true, recvBufferSize });
    this.listenSock = listen;
    this.boundPort = listen.address().port;
    this.sendSock =
      this.opts.bindAddress === this.opts.address
        ? listen
        : await bindUdp(this.opts.address, this.boundPort, { reuseAddr: true, recvBufferSize });
    for (const s of new Set([listen, this.sendSock])) {
      s.on('error', (e) => this.log.error({ err: e.message }, 'dhcp socket error'));
      s.on('message', (buf, rinfo) => this.onMessage(buf, rinfo));
      s.setBroadcast(true);
    }
    this.log.info({ address: this.opts.address, bind: this.opts.bindAddress, port: this.boundPort }, 'dhcp listening');
    return this.boundPort;
  }

  async stop(): Promise<void> {
    const socks = new Set([this.listenSock, this.sendSock].filter((s): s is dgram.Socket => s !== undefined));
    this.listenSock = this.sendSock = undefined;
    await Promise.all([...socks].map((s) => new Promise<void>((res) => s.close(() => res()))));
  }

  private onMessage(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    const out = this.handle(buf, rinfo);
    if (!out || !this.sendSock) return;
    this.sendSock.send(out.packet, out.port, out.address, this.afterSend);
  }

  /** One callback for every send (the error names the address), not a closure per packet. */
  private readonly afterSend = (err: Error | null): void => {
    if (!err) return;
    this.counters.sendErrors++;
    this.log.debug({ err: err.message }, 'dhcp send failed');
  };

  /** Decide the answer to one datagram; never throws (the unit tests call this directly). */
  handle(buf: Buffer, rinfo: { address: string; port: number }): Outgoing | undefined {
    this.counters.received++;
    try {
      const req = decodeRequest(buf);
      this.counters.requests++;
      if (this.limiter && !this.limiter.take(req.chaddr)) {
        this.counters.rateLimited++;
        return undefined;
      }
      return this.answer(req, rinfo);
    } catch (e) {
      const reason: DropReason = e instanceof DhcpDecodeError ? e.reason : 'internal-error';
      this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
      this.counters.droppedTotal++;
      if (reason === 'internal-error') this.log.error({ err: String(e) }, 'dhcp packet handler failed');
      else this.log.debug({ from: rinfo.address, reason }, 'dhcp packet dropped');
      return undefined;
    }
  }

  private answer(req: DhcpRequest, rinfo: { address: string; port: number }): Outgoing | undefined {
    const entry = this.hosts.get(req.chaddr);
    if (!entry) {
      this.counters.unknownMac++;
      this.noteUnknown(req.chaddr, req.type);
      return undefined;
    }
    const host = entry.host;
    const now = this.opts.clock.now();
    switch (req.type) {
      case MSG.DISCOVER:
        this.setLease(host, 'offered', now + 60_000);
        this.counters.offers++;
        return this.reply(req, entry, MSG.OFFER, rinfo);
      case MSG.REQUEST:
        return this.onRequest(req, entry, rinfo, now);
      case MSG.INFORM:
        this.counters.informs++;
        return this.reply(req, entry, MSG.ACK, rinfo);
      case MSG.RELEASE:
        this.counters.releases++;
        if (req.ciaddr === host.ip) this.setLease(host, 'released', now);
        this.safeEmit('release', { mac: host.mac, ip: req.ciaddr, hostname: host.hostname, at: now });
        return undefined;
      case MSG.DECLINE:
        // The client found our static address in use on the wire: an operator problem, not ours to fix.
        this.counters.declines++;
        this.log.warn({ mac: host.mac, ip: req.requestedIp ?? host.ip }, 'dhcp address declined (conflict?)');
        this.safeEmit('decline', { mac: host.mac, ip: req.requestedIp ?? host.ip, hostname: host.hostname, at: now });
        return undefined;
      default:
        throw new DhcpDecodeError('unexpected-message-type', String(req.type));
    }
  }

  /** RFC 2131 4.3.2: SELECTING (server id), INIT-REBOOT (requested ip), RENEWING/REBINDING (ciaddr). */
  private onRequest(req: DhcpRequest, entry: HostEntry, rinfo: { address: string; port: number }, now: number) {
    const host = entry.host;
    if (req.serverId !== undefined && req.serverId !== this.opts.address) {
      this.counters.ignored++; // the client took another server's offer
      this.leases.delete(host.mac);
      return undefined;
    }
    const wanted = req.requestedIp ?? (req.ciaddr !== '0.0.0.0' ? req.ciaddr : undefined);
    if (wanted === undefined) throw new DhcpDecodeError('bad-request', 'REQUEST without address');
    if (wanted !== host.ip) {
      this.counters.naks++;
      this.log.info({ mac: host.mac, wanted, ip: host.ip }, 'dhcp nak: wrong address requested');
      return this.reply(req, entry, MSG.NAK, rinfo);
    }
    this.setLease(host, 'bound', now + this.opts.leaseSeconds * 1000);
    this.counters.acks++;
    const out = this.reply(req, entry, MSG.ACK, rinfo);
    if (this.listenerCount('lease') > 0) {
      this.safeEmit('lease', { mac: host.mac, ip: host.ip, hostname: host.hostname, at: now, bootFile: out.bootFile });
    }
    return out;
  }

  /** Updated in place: one lease record per host, not a new object per packet. */
  private setLease(host: DhcpHost, state: Lease['state'], expiresAt: number): void {
    const l = this.leases.get(host.mac);
    if (l === undefined) {
      this.leases.set(host.mac, { ip: host.ip, state, expiresAt });
      return;
    }
    l.ip = host.ip;
    l.state = state;
    l.expiresAt = expiresAt;
  }

  private reply(
    req: DhcpRequest,
    entry: HostEntry,
    type: typeof MSG.OFFER | typeof MSG.ACK | typeof MSG.NAK,
    rinfo: { address: string; port: number },
  ): Outgoing & { bootFile?: string } {
    const o = this.opts;
    const host = entry.host;
    if (type === MSG.NAK) {
      const options: Array<[number, Buffer]> = [
        [OPT.MSG_TYPE, optU8(type)],
        [OPT.SERVER_ID, ipToBytes(o.address)],
        [OPT.MESSAGE, optText('requested address is not assigned to this client')],
      ];
      const r: DhcpReply = { xid: req.xid, flags: req.giaddr !== '0.0.0.0' ? 0x8000 : req.flags, giaddr: req.giaddr, chaddr: host.mac, options };
      return this.route(encodeReply(r), req, rinfo, true, undefined);
    }
    const boot = selectBootFile(classifyClient(req), {
      mac: host.mac,
      netboot: !this.netbootOff.has(host.mac), // host.mac is already normalized
      files: this.files,
      httpBase: o.httpBase,
    });
    if (req.type === MSG.INFORM) {
      const fields = { xid: req.xid, flags: req.flags, giaddr: req.giaddr, ciaddr: req.ciaddr, inform: true };
      return this.route(encodeReply(buildOfferAck(this.opts, fields, host, type, boot)), req, rinfo, false, boot?.file);
    }
    const templates = entry.templates[type];
    const key = boot?.file ?? null;
    let template = templates.get(key);
    if (!template) {
      template = encodeReply(buildOfferAck(this.opts, TEMPLATE_REQUEST, host, type, boot));
      templates.set(key, template);
    }
    const packet = Buffer.allocUnsafe(template.length);
    template.copy(packet);
    packet.writeUInt32BE(req.xid >>> 0, 4);
    packet.writeUInt16BE(req.flags & 0xffff, 10);
    if (req.giaddr !== '0.0.0.0') ipToBytes(req.giaddr).copy(packet, 24);
    return this.route(packet, req, rinfo, false, boot?.file);
  }

  /** RFC 2131 4.1: relay first; a client that has an address gets unicast; else broadcast. */
  private route(
    packet: Buffer,
    req: DhcpRequest,
    rinfo: { address: string; port: number },
    nak: boolean,
    bootFile: string | undefined,
  ): Outgoing & { bootFile?: string } {
    if (req.giaddr !== '0.0.0.0') return { packet, address: req.giaddr, port: this.boundPort || 67, bootFile };
    if (!nak && rinfo.address !== '0.0.0.0') return { packet, address: rinfo.address, port: rinfo.port, bootFile };
    return { packet, address: '255.255.255.255', port: this.opts.clientPort, bootFile };
  }

  private noteUnknown(mac: string, type: number): void {
    const now = this.opts.clock.now();
    const last = this.unknownLogged.get(mac);
    if (last !== undefined && now - last < UNKNOWN_LOG_INTERVAL_MS) return;
    if (this.unknownLogged.size >= UNKNOWN_LOG_MAX) this.unknownLogged.clear(); // bounded under MAC floods
    this.unknownLogged.set(mac, now);
    this.log.info({ mac, type }, 'dhcp request from unknown MAC ignored');
  }

  /** A throwing listener must not reach the socket handler. */
  private safeEmit(event: string, payload: LeaseEvent): void {
    try {
      this.emit(event, payload);
    } catch (e) {
      this.log.error({ err: String(e), event }, 'dhcp event listener threw');
    }
  }

  /** Current lease view (for status pages and tests). */
  leaseOf(mac: string): Lease | undefined {
    const l = this.leases.get(normalizeMac(mac));
    return l ? { ...l } : undefined;
  }
}

function hostEntry(h: DhcpHost): HostEntry {
  ipToBytes(h.ip); // a bad entry throws before anything changes
  const mac = normalizeMac(h.mac);
  return { host: { ...h, mac }, templates: { [MSG.OFFER]: new Map(), [MSG.ACK]: new Map() } };
}
