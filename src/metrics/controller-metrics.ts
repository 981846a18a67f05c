/**
 * The controller's Prometheus metrics on a registry of its own (prom-client), with the default
 * process metrics. Counters and histograms are fed from the controller's events (recoveries,
 * actions) and the timed prober; gauges are read when Prometheus scrapes (targets by phase, open
 * incidents, storm guard, leadership), so they are never stale.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ControllerEvent } from '../controller/controller-events.js';
import type { ControllerHealth, TargetStatus } from '../controller/types.js';
import { rungName } from '../core/rungs.js';
import { registerBootMetrics, type BootStats } from './boot-metrics.js';
import { ACTION_BUCKETS, PHASES, PROBE_BUCKETS, RECOVERY_BUCKETS } from './names.js';
import type { ProbeKind } from './timed-prober.js';

/** What the /metrics route needs. */
export interface MetricsSource {
  readonly contentType: string;
  render(): Promise<string>;
}

/** The controller as the metrics read it. */
export interface MetricsController {
  health(): Promise<ControllerHealth>;
  status(): TargetStatus[];
}

export interface MetricsOptions {
  /** prom-client's process and Node.js metrics (default true). */
  defaultMetrics?: boolean;
}

export class ControllerMetrics implements MetricsSource {
  readonly registry = new Registry();
  private controller: MetricsController | null = null;
  /** One health() per scrape, shared by the gauges that read it. */
  private scrapeHealth: Promise<ControllerHealth> | null = null;
  /** Open incidents seen opening: when, with which signature, on which rung now. */
  private readonly incidents = new Map<string, { openedAt: number; signature: string; rung: number | null }>();

  private readonly recoveryByRung: Histogram<'rung'>;
  private readonly recoveryBySignature: Histogram<'signature'>;
  private readonly incidentsOpened: Counter<'signature'>;
  private readonly actions: Counter<'kind' | 'outcome'>;
  private readonly actionSeconds: Histogram<'kind'>;
  private readonly probeSeconds: Histogram<'kind'>;
  private readonly webhooks: Counter<'receiver' | 'outcome'>;

  constructor(opts: MetricsOptions = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.recoveryByRung = new Histogram({
      name: 'rrc_recovery_by_rung_seconds',
      help: 'Resolved incidents: seconds from detection to healthy, by the last rung run (none: recovered without an action)',
      labelNames: ['rung'],
      buckets: RECOVERY_BUCKETS,
      registers,
    });
    this.recoveryBySignature = new Histogram({
      name: 'rrc_recovery_by_signature_seconds',
      help: 'Resolved incidents: seconds from detection to healthy, by failure signature',
      labelNames: ['signature'],
      buckets: RECOVERY_BUCKETS,
      registers,
    });
    this.incidentsOpened = new Counter({ name: 'rrc_incidents_opened_total', help: 'Incidents opened, by failure signature', labelNames: ['signature'], registers });
    this.actions = new Counter({ name: 'rrc_actions_total', help: 'Recovery actions finished, by kind and outcome', labelNames: ['kind', 'outcome'], registers });
    this.actionSeconds = new Histogram({ name: 'rrc_action_duration_seconds', help: 'How long recovery actions ran, by kind', labelNames: ['kind'], buckets: ACTION_BUCKETS, registers });
    this.probeSeconds = new Histogram({ name: 'rrc_probe_duration_seconds', help: 'How long one probe of a target took, by probe kind', labelNames: ['kind'], buckets: PROBE_BUCKETS, registers });
    this.webhooks = new Counter({ name: 'rrc_webhook_deliveries_total', help: 'Webhook notifications delivered or given up (dead letter), by receiver', labelNames: ['receiver', 'outcome'], registers });
    this.registerPulledGauges();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The controller whose state the gauges read at each scrape. */
  bindController(controller: MetricsController): this {
    this.controller = controller;
    return this;
  }

  /** The DHCP / TFTP counters of the boot services (real environment with a `pxe:` section). */
  bindBootServices(stats: () => BootStats | null): this {
    registerBootMetrics(this.registry, stats);
    return this;
  }

  async render(): Promise<string> {
    this.scrapeHealth = this.controller?.health() ?? null;
    // A failed health read must not leave an unhandled rejection behind: the gauges report it.
    this.scrapeHealth?.catch(() => undefined);
    try {
      return await this.registry.metrics();
    } finally {
      this.scrapeHealth = null;
    }
  }

  observeProbe(kind: ProbeKind, seconds: number): void {
    this.probeSeconds.observe({ kind }, seconds);
  }

  countWebhook(receiver: string, outcome: 'delivered' | 'dead-letter'): void {
    this.webhooks.inc({ receiver, outcome });
  }

  /** A controller listener (controller.onEvent). */
  observe(e: ControllerEvent): void {
    if (e.type === 'action-done') {
      this.actions.inc({ kind: e.action.kind, outcome: e.result.outcome });
      this.actionSeconds.observe({ kind: e.action.kind }, Math.max(0, e.at - e.startedAt) / 1000);
      return;
    }
    if (e.type !== 'emitted') return;
    const ev = e.event;
    switch (ev.type) {
      case 'incident.opened':
        this.incidents.set(ev.incidentId, { openedAt: ev.at, signature: ev.signature, rung: null });
        this.incidentsOpened.inc({ signature: ev.signature });
        return;
      case 'action.requested': {
        const known = this.incidents.get(ev.action.incidentId);
        if (known) known.rung = ev.action.rung;
        return;
      }
      case 'incident.resolved': {
        const known = this.incidents.get(ev.incidentId);
        this.incidents.delete(ev.incidentId);
        // An incident opened before this process started has no known start: not measured.
        if (!known) return;
        const seconds = Math.max(0, ev.at - known.openedAt) / 1000;
        this.recoveryByRung.observe({ rung: rungName(known.rung) ?? 'none' }, seconds);
        this.recoveryBySignature.observe({ signature: known.signature }, seconds);
        return;
      }
      case 'incident.closed':
      case 'incident.quarantined':
        if (ev.incidentId !== null) this.incidents.delete(ev.incidentId);
        return;
      default:
        return;
    }
  }

  private health(): Promise<ControllerHealth> | null {
    return this.scrapeHealth ?? this.controller?.health() ?? null;
  }

  private registerPulledGauges(): void {
    const registers = [this.registry];
    // Arrow functions keep `this` (the metrics); each gauge is passed in as `g`.
    const fromHealth = (g: Gauge, read: (h: ControllerHealth) => number) => async () => {
      const h = await this.health();
      if (h) g.set(read(h));
    };
    const gauge = (name: string, help: string, read: (h: ControllerHealth) => number): void => {
      const g: Gauge = new Gauge({ name, help, registers, collect: () => fromHealth(g, read)() });
    };
    gauge('rrc_targets', 'Targets (hosts and VMs) the controller watches', (h) => h.targets);
    gauge('rrc_open_incidents', 'Incidents open now', (h) => h.openIncidents);
    // Counts the controller keeps: set at each scrape.
    const counter = (name: string, help: string, read: (h: ControllerHealth) => number): void => {
      const c: Counter = new Counter({
        name,
        help,
        registers,
        collect: async () => {
          const h = await this.health();
          if (!h) return;
          c.reset();
          c.inc(read(h));
        },
      });
    };
    counter('rrc_probe_cycles_total', 'Probe cycles run since the controller started', (h) => h.probeCycles);
    counter('rrc_store_write_failures_total', 'Store writes that failed since the controller started (each try counts)', (h) => h.storeWriteFailures);
    gauge('rrc_storm_guard_on', '1 while destructive actions are held by the self-check or the storm guard', (h) => (h.safetyGuard.on ? 1 : 0));
    gauge('rrc_leader', '1 while this controller holds the leader lease', (h) => (h.leader ? 1 : 0));
    gauge('rrc_leader_epoch', 'The leader lease epoch (fencing token) as this controller knows it; 0: none', (h) => h.epoch ?? 0);
    const inFlight: Gauge<'limit'> = new Gauge({
      name: 'rrc_destructive_in_flight',
      help: 'Destructive actions running now, per concurrency limit',
      labelNames: ['limit'],
      registers,
      collect: async () => {
        const h = await this.health();
        if (!h) return;
        for (const [limit, n] of Object.entries(h.destructiveInFlight)) inFlight.set({ limit }, n);
      },
    });
    const byPhase: Gauge<'phase'> = new Gauge({
      name: 'rrc_targets_by_phase',
      help: 'Targets by phase of their recovery machine',
      labelNames: ['phase'],
      registers,
      collect: () => {
        if (!this.controller) return;
        const counts = new Map<string, number>(PHASES.map((p) => [p, 0]));
        for (const s of this.controller.status()) counts.set(s.phase, (counts.get(s.phase) ?? 0) + 1);
        for (const [phase, n] of counts) byPhase.set({ phase }, n);
      },
    });
  }
}
