/**
 * The controller's metrics: recovery histograms by rung and by signature from the events, actions
 * by kind and outcome, probe latency, gauges read at scrape time, DHCP/TFTP counters from the boot
 * services' own counts; on a registry of its own (two instances do not collide).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ControllerEvent } from '../../../src/controller/controller-events.js';
import type { ControllerHealth, TargetStatus } from '../../../src/controller/types.js';
import type { PendingAction } from '../../../src/core/index.js';
import { ControllerMetrics, type BootStats } from '../../../src/metrics/index.js';

const T0 = Date.UTC(2026, 10, 22);

function health(over: Partial<ControllerHealth> = {}): ControllerHealth {
  return {
    startedAt: T0, now: T0, env: 'sim', store: 'memory', targets: 3, openIncidents: 1, probeCycles: 42,
    safetyGuard: { on: true, reason: 'storm' }, destructiveInFlight: { fence: 1, powerCycle: 0, reinstall: 0 },
    storeWriteFailures: 2, storeWritesAbandoned: 0, lastStoreError: null, leader: true, epoch: 7, holder: 'ctl-a',
    ...over,
  };
}

const status = (phase: TargetStatus['phase']): TargetStatus => ({
  targetId: 'vm:x', kind: 'vm', name: 'x', phase, rung: null, rungName: null, incidentId: null, signature: null, maintenance: false, penalty: 0, since: T0, reason: null,
});

const action = (incidentId: string, rung: PendingAction['rung'], kind: PendingAction['kind']): PendingAction => ({
  id: `${incidentId}/1-r${rung}`, incidentId, rung, kind, attempt: 1, issuedAt: T0, operatorConfirmedOff: false,
});

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('controller metrics', () => {
  test('gauges are read from the controller at scrape time, one health read per scrape', async () => {
    let reads = 0;
    const m = new ControllerMetrics({ defaultMetrics: false }).bindController({
      health: async () => (reads++, health()),
      status: () => [status('healthy'), status('healthy'), status('recovering')],
    });
    const text = await m.render();
    assert.equal(reads, 1);
    assert.equal(value(text, 'rrc_targets'), 3);
    assert.equal(value(text, 'rrc_open_incidents'), 1);
    assert.equal(value(text, 'rrc_storm_guard_on'), 1);
    assert.equal(value(text, 'rrc_leader'), 1);
    assert.equal(value(text, 'rrc_leader_epoch'), 7);
    assert.equal(value(text, 'rrc_probe_cycles_total'), 42);
    assert.equal(value(text, 'rrc_targets_by_phase{phase="healthy"}'), 2);
    assert.equal(value(text, 'rrc_targets_by_phase{phase="recovering"}'), 1);
    assert.equal(value(text, 'rrc_targets_by_phase{phase="quarantined"}'), 0);
    assert.equal(value(text, 'rrc_destructive_in_flight{limit="fence"}'), 1);
    assert.match(text, /# TYPE rrc_probe_cycles_total counter/);
  });

  test('recovery seconds by last rung and by signature, actions by kind and outcome', async () => {
    const m = new ControllerMetrics({ defaultMetrics: false });
    const events: ControllerEvent[] = [
      { type: 'emitted', targetId: 'vm:web1', event: { type: 'incident.opened', incidentId: 'vm:web1#1', at: T0, signature: 'vm-crashed', summary: 'crashed', penalty: 1000, manual: false } },
      { type: 'emitted', targetId: 'vm:web1', event: { type: 'action.requested', at: T0 + 1000, action: action('vm:web1#1', 1, 'vm-reboot'), reason: 'entry' } },
      { type: 'action-done', targetId: 'vm:web1', action: action('vm:web1#1', 1, 'vm-reboot'), result: { outcome: 'failed', error: 'x' }, startedAt: T0 + 1000, at: T0 + 4000 },
      { type: 'emitted', targetId: 'vm:web1', event: { type: 'action.requested', at: T0 + 5000, action: action('vm:web1#1', 2, 'vm-restart'), reason: 'escalate' } },
      { type: 'action-done', targetId: 'vm:web1', action: action('vm:web1#1', 2, 'vm-restart'), result: { outcome: 'ok' }, startedAt: T0 + 5000, at: T0 + 8000 },
      { type: 'emitted', targetId: 'vm:web1', event: { type: 'incident.resolved', incidentId: 'vm:web1#1', at: T0 + 75_000 } },
      // Resolved without ever being seen opening (opened before this process): not measured.
      { type: 'emitted', targetId: 'vm:db1', event: { type: 'incident.resolved', incidentId: 'vm:db1#4', at: T0 + 75_000 } },
    ];
    for (const e of events) m.observe(e);
    const text = await m.render();
    assert.equal(value(text, 'rrc_recovery_by_rung_seconds_count{rung="restart-vm"}'), 1);
    assert.equal(value(text, 'rrc_recovery_by_rung_seconds_sum{rung="restart-vm"}'), 75);
    assert.equal(value(text, 'rrc_recovery_by_rung_seconds_bucket{le="60",rung="restart-vm"}'), 0);
    assert.equal(value(text, 'rrc_recovery_by_rung_seconds_bucket{le="90",rung="restart-vm"}'), 1);
    assert.equal(value(text, 'rrc_recovery_by_signature_seconds_count{signature="vm-crashed"}'), 1);
    assert.equal(value(text, 'rrc_actions_total{kind="vm-reboot",outcome="failed"}'), 1);
    assert.equal(value(text, 'rrc_actions_total{kind="vm-restart",outcome="ok"}'), 1);
    assert.equal(value(text, 'rrc_action_duration_seconds_sum{kind="vm-restart"}'), 3);
    assert.equal(value(text, 'rrc_incidents_opened_total{signature="vm-crashed"}'), 1);
  });

  test('probe latency by kind; webhook outcomes; process metrics on by default', async () => {
    const m = new ControllerMetrics();
    m.observeProbe('host', 0.2);
    m.observeProbe('vm', 0.02);
    m.countWebhook('ops', 'dead-letter');
    const text = await m.render();
    assert.equal(value(text, 'rrc_probe_duration_seconds_count{kind="host"}'), 1);
    assert.equal(value(text, 'rrc_probe_duration_seconds_bucket{le="0.25",kind="host"}'), 1);
    assert.equal(value(text, 'rrc_probe_duration_seconds_bucket{le="0.1",kind="host"}'), 0);
    assert.equal(value(text, 'rrc_webhook_deliveries_total{receiver="ops",outcome="dead-letter"}'), 1);
    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
    // A second registry in the same process: no "already registered" clash.
    assert.match(await new ControllerMetrics().render(), /process_cpu_user_seconds_total/);
  });

  test('DHCP and TFTP counters come from the boot services counts at each scrape', async () => {
    const stats: BootStats = {
      dhcp: { requests: 10, offers: 4, acks: 4, naks: 1, sendErrors: 0, unknownMac: 2, rateLimited: 1, droppedTotal: 3 },
      tftp: { requests: 5, started: 4, completed: 3, failed: 1, active: 0, refused: { 'not-found': 1, busy: 1 }, droppedTotal: 0, workerDeaths: 0 },
    };
    const m = new ControllerMetrics({ defaultMetrics: false }).bindBootServices(() => stats);
    let text = await m.render();
    assert.equal(value(text, 'rrc_dhcp_requests_total'), 10);
    assert.equal(value(text, 'rrc_dhcp_replies_total{type="ack"}'), 4);
    assert.equal(value(text, 'rrc_dhcp_errors_total{kind="unknown-mac"}'), 2);
    assert.equal(value(text, 'rrc_tftp_transfers_total{outcome="completed"}'), 3);
    assert.equal(value(text, 'rrc_tftp_errors_total{kind="refused"}'), 2);
    stats.dhcp.requests = 12;
    text = await m.render();
    assert.equal(value(text, 'rrc_dhcp_requests_total'), 12);
  });
});
