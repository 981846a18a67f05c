/**
 * DHCP and TFTP counters of the controller's own boot services (src/drivers/pxe), read when
 * Prometheus scrapes: the servers already count, nothing is counted twice.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** The part of BootServices.stats() read here (structural, so src/metrics needs no driver import). */
export interface BootStats {
  dhcp: { requests: number; offers: number; acks: number; naks: number; sendErrors: number; unknownMac: number; rateLimited: number; droppedTotal: number };
  tftp: { requests: number; started: number; completed: number; failed: number; active: number; refused: Record<string, number>; droppedTotal: number; workerDeaths: number };
}

type Rows = Array<[Record<string, string>, number]>;

/** A counter whose value the server keeps: set at each scrape. */
function pulledCounter(registry: Registry, name: string, help: string, labelNames: string[], rows: () => Rows | null): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      const read = rows();
      if (!read) return;
      this.reset();
      for (const [labels, value] of read) this.inc(labels, value);
    },
  });
}

const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);

export function registerBootMetrics(registry: Registry, stats: () => BootStats | null): void {
  const dhcp = () => stats()?.dhcp ?? null;
  const tftp = () => stats()?.tftp ?? null;
  const rows = <T>(read: () => T | null, map: (s: T) => Rows) => () => {
    const s = read();
    return s ? map(s) : null;
  };
  pulledCounter(registry, 'rrc_dhcp_requests_total', 'DHCP requests received (valid packets from clients)', [], rows(dhcp, (s) => [[{}, s.requests]]));
  pulledCounter(registry, 'rrc_dhcp_replies_total', 'DHCP replies sent, by message type', ['type'], rows(dhcp, (s) => [[{ type: 'offer' }, s.offers], [{ type: 'ack' }, s.acks], [{ type: 'nak' }, s.naks]]));
  pulledCounter(registry, 'rrc_dhcp_errors_total', 'DHCP packets not answered, by reason', ['kind'], rows(dhcp, (s) => [
    [{ kind: 'dropped' }, s.droppedTotal],
    [{ kind: 'send' }, s.sendErrors],
    [{ kind: 'unknown-mac' }, s.unknownMac],
    [{ kind: 'rate-limited' }, s.rateLimited],
  ]));
  pulledCounter(registry, 'rrc_tftp_requests_total', 'TFTP read requests received', [], rows(tftp, (s) => [[{}, s.requests]]));
  pulledCounter(registry, 'rrc_tftp_transfers_total', 'TFTP transfers, by how far they got', ['outcome'], rows(tftp, (s) => [
    [{ outcome: 'started' }, s.started],
    [{ outcome: 'completed' }, s.completed],
    [{ outcome: 'failed' }, s.failed],
  ]));
  pulledCounter(registry, 'rrc_tftp_errors_total', 'TFTP requests refused, packets dropped, transfer workers that died', ['kind'], rows(tftp, (s) => [
    [{ kind: 'refused' }, sum(s.refused)],
    [{ kind: 'dropped' }, s.droppedTotal],
    [{ kind: 'worker-death' }, s.workerDeaths],
  ]));
  new Gauge({
    name: 'rrc_tftp_active_transfers',
    help: 'TFTP transfers running now',
    registers: [registry],
    collect() {
      const s = tftp();
      if (s) this.set(s.active);
    },
  });
}
