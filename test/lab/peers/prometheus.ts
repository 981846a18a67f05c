/**
 * A real Prometheus server (Debian package `prometheus`) for tests: scrapes the given targets every
 * second, keeps its TSDB in a temp dir, listens on a free port of 127.0.0.1. stop() kills it and
 * removes the dir; a test that forgets is covered by spawnPeer's exit hook.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeTcpPort, makeTempDir, requireBinary, spawnPeer, stopChild, untilReady, waitFor } from './common.js';

export interface PrometheusScrape {
  /** host:port on 127.0.0.1. */
  target: string;
  metricsPath?: string;
  /** A file holding a bearer token (Prometheus reads it at each scrape). */
  bearerTokenFile?: string;
}

export interface PrometheusPeer {
  url: string;
  /** The instant vector of `query` (PromQL), as Prometheus's HTTP API returns it. */
  query(query: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  output(): string;
  stop(): Promise<void>;
}

function yamlString(s: string): string {
  return JSON.stringify(s);
}

export async function startPrometheus(scrape: PrometheusScrape): Promise<PrometheusPeer> {
  const bin = requireBinary('prometheus', 'prometheus');
  const tmp = makeTempDir('prometheus');
  const port = await freeTcpPort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: rrc',
    `    metrics_path: ${yamlString(scrape.metricsPath ?? '/metrics')}`,
    ...(scrape.bearerTokenFile ? ['    authorization:', '      type: Bearer', `      credentials_file: ${yamlString(scrape.bearerTokenFile)}`] : []),
    '    static_configs:',
    `      - targets: [${yamlString(scrape.target)}]`,
    '',
  ].join('\n');
  const configFile = join(tmp.dir, 'prometheus.yml');
  writeFileSync(configFile, config);
  const peer = spawnPeer(bin, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(tmp.dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ]);
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await stopChild(peer.child, 5000);
    tmp.remove();
  };
  try {
    await untilReady(
      'prometheus',
      peer,
      waitFor('prometheus ready', async () => (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) })).ok, { timeoutMs: 60_000, intervalMs: 250 }),
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url,
    output: peer.output,
    async query(query) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`, { signal: AbortSignal.timeout(5000) });
      const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (body.status !== 'success' || !body.data) throw new Error(`prometheus query ${query}: ${body.error ?? res.status}`);
      return body.data.result;
    },
    stop,
  };
}
