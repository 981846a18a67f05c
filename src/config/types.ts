/** The resolved controller configuration: every default applied, policy merged, inventory checked. */
import type { Policy } from '../core/policy.js';
import type { HostSpec, VmSpec } from '../core/types.js';
import type { z } from 'zod';
import type { ApiAccessConfig } from '../api/schemas/api-access.js';
import type { PxeConfigSchema } from './schema.js';
import type { WebhookReceiverConfig } from '../notify/types.js';
import type { CatalogueConfig, OnDemandConfig } from '../on-demand/config-schema.js';

export type EnvironmentKind = 'sim' | 'real';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ProbesConfig {
  intervalSeconds: number;
  timeoutSeconds: number;
  /** Probes in flight at once, across all targets. */
  concurrency: number;
  /** Run over SSH on a host that answers without a hypervisor; a failure justifies a reinstall. */
  installCheckCommand?: string;
  /**
   * A host that answers every in-band check has its BMC read at most this often (a failed check
   * reads it at once, then every probe); 0 reads it every probe. Default 60.
   */
  bmcRefreshSeconds: number;
}

export interface DemoConfig {
  /** The sim crashes a random target about this often. */
  crashEverySeconds: number;
  seed: number;
}

/** Where a secret named by a `secretRef`/`keyRef` is read from; the config never holds the secret. */
export interface SecretSource {
  env?: string;
  /** Absolute after loading (a relative path is taken from the config file's folder). */
  file?: string;
}

/** The `pxe:` section (paths absolute after loading), see PxeConfigSchema. */
export type PxeConfig = z.output<typeof PxeConfigSchema>;

export interface ControllerConfig {
  /** The file the config came from, or DEMO_SOURCE. */
  source: string;
  store: { url: string };
  /** `listen` and the access keys (hostnames, TLS, tokens file, allow-lists; paths absolute after loading). */
  api: { listen: string } & ApiAccessConfig;
  environment: { kind: EnvironmentKind };
  /** This controller among several on one database: its lease id (default host name and pid) and rank. */
  controller: { id?: string; rank: number };
  probes: ProbesConfig;
  policy: Policy;
  inventory: { hosts: HostSpec[]; vms: VmSpec[] };
  /** Only with environment sim; null = no injected crashes. */
  demo: DemoConfig | null;
  secrets: Record<string, SecretSource>;
  /** The controller's boot services for the reinstall rung; null: reinstall is not configured. */
  pxe: PxeConfig | null;
  /** `host:port` addresses the controller checks it reaches every cycle (its self-check). */
  witnesses: { selfCheck: string[] };
  log: { level: LogLevel };
  /** Webhook receivers (src/notify); none by default. */
  notify: { webhooks: WebhookReceiverConfig[] };
  /** Host on demand: the OS images and middleware recipes users may ask for. */
  catalogue: CatalogueConfig;
  /** Host on demand: storage, durations, warnings, reserve, quotas (storageDir absolute after loading). */
  onDemand: OnDemandConfig;
}

export const DEFAULT_STORE_URL = 'file:./.3rc/3rc.db';
export const DEFAULT_LISTEN = '127.0.0.1:7070';
export const DEMO_SOURCE = '(built-in demo)';
