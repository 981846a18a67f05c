/**
 * A real Prometheus server scrapes a running controller (the demo lab, simulated rack on the wall
 * clock) with a viewer token, and a query for open incidents returns the number the API reports.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { defaultDemoConfig } from '../../../src/config/index.js';
import { applyFaultLine } from '../../../src/env/sim/index.js';
import { startService, type RunningService } from '../../../src/service/index.js';
import { makeTempDir, waitFor } from '../../lab/peers/common.js';
import { startPrometheus, type PrometheusPeer } from '../../lab/peers/prometheus.js';

describe('Prometheus scrapes the controller', () => {
  const tmp = makeTempDir('prom-scrape');
  let service: RunningService | undefined;
  let prometheus: PrometheusPeer | undefined;
  let token = '';

  before(async () => {
    const config = defaultDemoConfig();
    config.store.url = 'memory:';
    config.demo = null;
    config.api.metricsOpen = false; // Prometheus sends a token, as on a real site
    config.api.tokenFile = join(tmp.dir, 'admin-token');
    config.probes = { ...config.probes, intervalSeconds: 1, timeoutSeconds: 1 };
    service = await startService(config, { listen: { host: '127.0.0.1', port: 0 }, logger: pino({ level: 'silent' }) });
    token = readFileSync(config.api.tokenFile, 'utf8').trim();
  });
  after(async () => {
    await prometheus?.stop();
    await service?.stop();
    tmp.remove();
  });

  test('rrc_open_incidents in Prometheus equals the open incidents of the API', async () => {
    const svc = service!;
    const api = async (path: string) => {
      const res = await fetch(`${svc.url}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
      assert.equal(res.status, 200, `${path}: ${res.status}`);
      return res;
    };
    // A viewer token for the scraper, in a file Prometheus reads.
    const created = await fetch(`${svc.url}/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'prometheus', role: 'viewer' }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const viewerFile = join(tmp.dir, 'prometheus.token');
    writeFileSync(viewerFile, ((await created.json()) as { token: string }).token, { mode: 0o600 });

    // An incident that stays open: the controller loses its path to hv1 while its peers still
    // reach it, so the incident holds (no action) until the path is back.
    applyFaultLine(svc.world!, 'host hv1 partition');
    await waitFor('an open incident in the API', async () => ((await (await api('/health')).json()) as { openIncidents: number }).openIncidents > 0, {
      timeoutMs: 60_000,
      intervalMs: 500,
    });

    prometheus = await startPrometheus({ target: new URL(svc.url).host, bearerTokenFile: viewerFile });
    const prom = prometheus;
    let last = { api: -1, prometheus: [] as string[] };
    await waitFor(
      'Prometheus to report the open incidents the API reports',
      async () => {
        const result = await prom.query('rrc_open_incidents');
        const apiOpen = ((await (await api('/health')).json()) as { openIncidents: number }).openIncidents;
        last = { api: apiOpen, prometheus: result.map((r) => r.value[1]) };
        return result.length === 1 && Number(result[0]!.value[1]) === apiOpen && apiOpen > 0;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    ).catch((e: Error) => {
      throw new Error(`${e.message}; last: ${JSON.stringify(last)}; prometheus says: ${prom.output().slice(-2000)}`);
    });

    // The scrape itself was healthy and saw the other series too.
    const up = await prom.query('up{job="rrc"}');
    assert.equal(up[0]?.value[1], '1');
    const phases = await prom.query('sum(rrc_targets_by_phase)');
    assert.equal(Number(phases[0]!.value[1]), svc.controller.status().length);
    assert.ok((await prom.query('process_resident_memory_bytes')).length === 1, 'default process metrics are exported');
  });
});
