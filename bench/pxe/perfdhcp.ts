/**
 * perfdhcp (Kea, Debian package kea-admin) for the DHCP benchmark: the MAC addresses it will use,
 * its command line and a parser for its final report. Pure functions, pinned by
 * test/unit/bench-pxe/perfdhcp.test.ts.
 *
 * MACs: with `-b mac=<base> -R <n>` perfdhcp draws r uniformly in [0, n) per new exchange and
 * adds it to the base octet by octet from the last one, low byte first, each octet wrapping on
 * its own without carry (kea src/bin/perfdhcp/test_control.cc, generateMacAddress). So the
 * clients are exactly `perfdhcpMac(base, r)` for r = 0 .. n-1.
 */

export interface PerfdhcpExchange {
  sent: number;
  received: number;
  drops: number;
  /** Percent, as printed. */
  dropsRatio: number;
  orphans: number;
  rejectedLeases: number;
  nonUniqueAddresses: number;
  /** Milliseconds; undefined when perfdhcp printed none (nothing received). */
  minDelayMs?: number;
  avgDelayMs?: number;
  maxDelayMs?: number;
  sdDelayMs?: number;
}

export interface PerfdhcpReport {
  /** "Rate: <x> 4-way exchanges/second" */
  rate?: number;
  expectedRate?: number;
  malformed?: number;
  /** DISCOVER-OFFER */
  do?: PerfdhcpExchange;
  /** REQUEST-ACK */
  ra?: PerfdhcpExchange;
}

function macBytes(mac: string): number[] {
  const parts = mac.split(':');
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-f]{2}$/i.test(p))) throw new Error(`invalid MAC "${mac}"`);
  return parts.map((p) => parseInt(p, 16));
}

/** The MAC perfdhcp uses for random draw `r` from base `base` (see the header). */
export function perfdhcpMac(base: string, r: number): string {
  if (!Number.isInteger(r) || r < 0 || r > 0xffffffff) throw new Error(`draw out of range: ${r}`);
  const b = macBytes(base);
  let v = r;
  for (let i = 5; i >= 0; i--) {
    b[i] = (b[i]! + (v & 0xff)) & 0xff;
    if (v < 256) break;
    v = Math.floor(v / 256);
  }
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Every MAC of `-b mac=<base> -R <clients>`; throws when two draws collide (a bad base). */
export function perfdhcpMacs(base: string, clients: number): string[] {
  if (!Number.isInteger(clients) || clients < 1) throw new Error(`clients must be a positive integer: ${clients}`);
  if (clients === 1) return [macBytes(base).map((x) => x.toString(16).padStart(2, '0')).join(':')];
  const out: string[] = [];
  const seen = new Set<string>();
  for (let r = 0; r < clients; r++) {
    const m = perfdhcpMac(base, r);
    if (seen.has(m)) throw new Error(`base ${base} gives duplicate MAC ${m} at draw ${r}`);
    seen.add(m);
    out.push(m);
  }
  return out;
}

/** IPv4 address `offset` after `first` (dotted quad arithmetic on 32 bits). */
export function ipAdd(first: string, offset: number): string {
  const p = first.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`invalid IPv4 "${first}"`);
  const n = ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]! + offset;
  if (n < 0 || n > 0xffffffff) throw new Error(`address out of range: ${first} + ${offset}`);
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

export interface PerfdhcpRun {
  rate: number;
  seconds: number;
  clients: number;
  baseMac: string;
  iface: string;
  server: string;
  /** Seconds after which an unanswered request counts as dropped (perfdhcp -d; default 1). */
  dropTimeS?: number;
  /** Microseconds perfdhcp keeps receiving after the period (-W). */
  exitWaitUs?: number;
  seed?: number;
  /** Extra options in every message (-o code,hex), e.g. a PXE vendor class and arch. */
  options?: ReadonlyArray<readonly [number, string]>;
}

/** What a BIOS PXE ROM says about itself: vendor class (60) and client arch (93) = 0. */
export const PXE_BIOS_OPTIONS: ReadonlyArray<readonly [number, string]> = [
  [60, Buffer.from('PXEClient:Arch:00000:UNDI:002001', 'latin1').toString('hex')],
  [93, '0000'],
];

export function perfdhcpArgs(r: PerfdhcpRun): string[] {
  const args = ['-4', '-r', String(r.rate), '-p', String(r.seconds), '-R', String(r.clients), '-b', `mac=${r.baseMac}`, '-l', r.iface];
  if (r.dropTimeS !== undefined) args.push('-d', String(r.dropTimeS));
  if (r.exitWaitUs !== undefined) args.push('-W', String(r.exitWaitUs));
  if (r.seed !== undefined) args.push('-s', String(r.seed));
  for (const [code, hex] of r.options ?? []) args.push('-o', `${code},${hex}`);
  args.push(r.server);
  return args;
}

const NUM = '([-+]?\\d+(?:\\.\\d+)?(?:e[-+]?\\d+)?)';

function num(block: string, label: string): number | undefined {
  const m = new RegExp(`^${label}:\\s*${NUM}`, 'mi').exec(block);
  return m ? Number(m[1]) : undefined;
}

function exchange(block: string): PerfdhcpExchange | undefined {
  const sent = num(block, 'sent packets');
  const received = num(block, 'received packets');
  if (sent === undefined || received === undefined) return undefined;
  const out: PerfdhcpExchange = {
    sent,
    received,
    drops: num(block, 'drops') ?? Math.max(0, sent - received),
    dropsRatio: num(block, 'drops ratio') ?? (sent > 0 ? (100 * (sent - received)) / sent : 0),
    orphans: num(block, 'orphans') ?? 0,
    rejectedLeases: num(block, 'rejected leases') ?? 0,
    nonUniqueAddresses: num(block, 'non unique addresses') ?? 0,
  };
  const delays: Array<[keyof PerfdhcpExchange, string]> = [
    ['minDelayMs', 'min delay'], ['avgDelayMs', 'avg delay'], ['maxDelayMs', 'max delay'], ['sdDelayMs', 'std deviation'],
  ];
  for (const [key, label] of delays) {
    const m = new RegExp(`^${label}:\\s*${NUM}\\s*ms`, 'mi').exec(block);
    if (m) (out as unknown as Record<string, number>)[key] = Number(m[1]);
  }
  return out;
}

/**
 * Parses perfdhcp's final report (stdout). Blocks start at "***Statistics for: X***"; unknown
 * lines are ignored; a delay line perfdhcp leaves out (nothing received) stays undefined.
 */
export function parsePerfdhcp(text: string): PerfdhcpReport {
  const out: PerfdhcpReport = {};
  const rate = /^Rate:\s*([-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s+4-way exchanges\/second(?:,\s*expected rate:\s*(\d+(?:\.\d+)?))?/im.exec(text);
  if (rate) {
    out.rate = Number(rate[1]);
    if (rate[2] !== undefined) out.expectedRate = Number(rate[2]);
  }
  const mal = num(text, 'Malformed packets');
  if (mal !== undefined) out.malformed = mal;
  const heads = [...text.matchAll(/^\*\*\*Statistics for:\s*([A-Z-]+)\*\*\*\s*$/gm)];
  heads.forEach((h, i) => {
    const start = h.index! + h[0].length;
    const end = i + 1 < heads.length ? heads[i + 1]!.index! : text.length;
    const ex = exchange(text.slice(start, end));
    if (!ex) return;
    if (h[1] === 'DISCOVER-OFFER') out.do = ex;
    else if (h[1] === 'REQUEST-ACK') out.ra = ex;
  });
  return out;
}
