/**
 * The composition root of the controller service: store, Env (simulated rack or real drivers),
 * controller, HTTP API. `3rc controller` and `npm start` call `startService`; tests call it too.
 */
import { readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger as PinoLogger } from 'pino';
import { buildApp } from '../api/app.js';
import { parseListen } from '../config/index.js';
import type { ControllerConfig, PxeConfig } from '../config/types.js';
import type { HostSpec } from '../core/types.js';
import type { BootServices, WatchdogReportEvent } from '../drivers/pxe/index.js';
import type { PxeProvisioner } from '../drivers/pxe/provisioner.js';
import { createController, type Controller } from '../controller/index.js';
import { Leadership } from '../controller/leadership.js';
import { ControllerHeartbeat } from '../controller/heartbeat.js';
import type { Clock, Env, Logger } from '../env/env.js';
import { realClock } from '../env/real/clock.js';
import type { World } from '../env/sim/index.js';
import { createSimWorld } from '../sim-rack/index.js';
import { errorText, RrcError } from '../errors.js';
import { openStore, type Store } from '../store/index.js';
import { startDemoCrashes } from './demo-crashes.js';
import { defaultTokenFile, ensureFirstAdminToken } from './first-token.js';
import { createLogger } from './logger.js';
import { realImageTools } from '../on-demand/image-tools.js';
import { RequestService } from '../on-demand/request-service.js';
import { ControllerMetrics, withProbeTiming } from '../metrics/index.js';
import { startNotifications, type NotificationPublisher } from '../notify/index.js';
import { secretResolver } from '../env/real/secrets.js';

export interface RunningService {
  controller: Controller;
  store: Store;
  env: Env;
  /** The simulated rack, when the environment is `sim`. */
  world: World | null;
  /** Webhook notifications: other services (host on demand) publish through it. */
  notifier: NotificationPublisher;
  /** The registry behind /metrics. */
  metrics: ControllerMetrics;
  /** Host on demand: requests, their provisioning, warnings and expiry (leader only). */
  requests: RequestService;
  /** `http://host:port` the API listens on. */
  url: string;
  log: PinoLogger;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  clock?: Clock;
  logger?: PinoLogger;
  /** Do not listen on the configured address (tests use app.inject or port 0). */
  listen?: boolean | { host: string; port: number };
}

function listenAddress(listen: string): { host: string; port: number } {
  const where = parseListen(listen);
  if (!where) throw new RrcError('RRC_ERR_CONFIG_INVALID', `api.listen "${listen}" is not host:port`);
  return where;
}

/** Adds the config's inventory to the store where it is missing; the store is the truth afterwards. */
async function seedInventory(store: Store, config: ControllerConfig, log: Logger): Promise<void> {
  const hosts = new Set((await store.listHosts()).map((h) => h.name));
  const vms = new Set((await store.listVms()).map((v) => v.name));
  let added = 0;
  for (const h of config.inventory.hosts.filter((x) => !hosts.has(x.name))) {
    await store.addHost(h);
    added++;
  }
  for (const v of config.inventory.vms.filter((x) => !vms.has(x.name))) {
    await store.addVm(v);
    added++;
  }
  if (added) log.info({ added }, 'inventory from the config added to the store');
}

interface Provisioning {
  boot: BootServices;
  provisioner: PxeProvisioner;
}

/**
 * The reinstall rung's boot services (DHCP, TFTP, HTTP) and the provisioner that drives them.
 * Netboot starts off for every host: only a reinstall in progress turns it on for that host.
 */
async function startProvisioning(
  pxe: PxeConfig,
  hosts: HostSpec[],
  resolveSecret: (ref: string) => Promise<string>,
  clock: Clock,
  log: PinoLogger,
  cleanups: Array<() => Promise<void> | void>,
): Promise<Provisioning> {
  const { startBootServices } = await import('../drivers/pxe/index.js');
  const { PxeProvisioner } = await import('../drivers/pxe/provisioner.js');
  const { IpmiPowerDriver } = await import('../drivers/ipmi.js');
  // The SSH driver's known_hosts: a reinstalled host's new key is recorded there by its callback.
  const knownHostsFile = process.env.RRC_KNOWN_HOSTS ?? join(homedir(), '.ssh', 'known_hosts');
  const boot = await startBootServices({ ...pxe, hosts, log, clock, knownHostsFile });
  cleanups.unshift(() => boot.stop());
  const provisioner = new PxeProvisioner({ power: new IpmiPowerDriver({ resolveSecret, clock, log }), boot, clock, log });
  provisioner.disableNetboot(hosts);
  log.info({ baseUrl: boot.baseUrl, ports: boot.ports }, 'boot services for the reinstall rung are up');
  return { boot, provisioner };
}

function readTls(tls: { certFile: string; keyFile: string }): { cert: Buffer; key: Buffer } {
  try {
    return { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) };
  } catch (e) {
    throw new RrcError('RRC_ERR_CONFIG_INVALID', `api.tls: cannot read ${(e as NodeJS.ErrnoException).path ?? 'a file'} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function probeDeadlines(timeoutSeconds: number) {
  const ms = Math.max(200, Math.floor(timeoutSeconds * 1000 * 0.8));
  return { bmcMs: ms, tcpMs: ms, sshMs: ms, libvirtMs: ms, guestMs: ms, serviceMs: ms };
}

export async function startService(config: ControllerConfig, opts: ServiceOptions = {}): Promise<RunningService> {
  const clock = opts.clock ?? realClock;
  const log = opts.logger ?? createLogger({ level: config.log.level, clock });
  const store = await openStore(config.store.url);
  const cleanups: Array<() => Promise<void> | void> = [() => store.close()];
  try {
    await seedInventory(store, config, log);
    const [hosts, vms] = await Promise.all([store.listHosts(), store.listVms()]);
    let env: Env;
    let world: World | null = null;
    let provisioning: Provisioning | null = null;
    if (config.environment.kind === 'sim') {
      const sim = createSimWorld(clock, {
        hosts,
        vms,
        seed: config.demo?.seed ?? 1,
        simEnv: { hypervisorRestartCommand: config.policy.hypervisorRestartCommand },
        log,
      });
      world = sim.world;
      env = sim.env;
    } else {
      const { createRealEnv } = await import('../env/real/real-env.js');
      const { secretResolver } = await import('../env/real/secrets.js');
      const resolveSecret = secretResolver(config.secrets);
      provisioning = config.pxe ? await startProvisioning(config.pxe, hosts, resolveSecret, clock, log, cleanups) : null;
      env = createRealEnv({
        clock,
        log,
        resolveSecret,
        ...(provisioning ? { provisioner: provisioning.provisioner } : {}),
        knownHostsFile: process.env.RRC_KNOWN_HOSTS ?? join(homedir(), '.ssh', 'known_hosts'),
        hypervisorRestartCommand: config.policy.hypervisorRestartCommand,
        witnessAddresses: config.witnesses.selfCheck,
        ...(config.probes.installCheckCommand ? { installCheckCommand: config.probes.installCheckCommand } : {}),
        probeBmcRefreshMs: config.probes.bmcRefreshSeconds > 0 ? config.probes.bmcRefreshSeconds * 1000 : null,
        // Each check answers inside the controller's probe deadline, so a slow check is reported
        // as itself (e.g. BMC timeout) instead of the whole probe timing out without evidence.
        timeouts: { probe: probeDeadlines(config.probes.timeoutSeconds) },
      });
      const realEnv = env as Env & { close(): Promise<void> };
      cleanups.unshift(() => realEnv.close());
    }
    // Metrics: every probe timed on the Env's clock; the rest from the controller's events and state.
    const metrics = new ControllerMetrics();
    env = withProbeTiming(env, (kind, seconds) => metrics.observeProbe(kind, seconds));
    // Only the lease holder acts; on SQLite (and memory) a second controller refuses to start.
    const leadership = new Leadership({
      store,
      clock,
      log,
      holder: config.controller.id ?? `${hostname()}:${process.pid}`,
      rank: config.controller.rank,
      exclusive: store.provider !== 'postgresql',
    });
    const controller = createController({
      env,
      store,
      leadership,
      policy: config.policy,
      probes: {
        intervalMs: config.probes.intervalSeconds * 1000,
        timeoutMs: config.probes.timeoutSeconds * 1000,
        concurrency: config.probes.concurrency,
      },
    });
    metrics.bindController(controller);
    controller.onEvent((e) => metrics.observe(e));
    if (provisioning) metrics.bindBootServices(() => provisioning.boot.stats());
    // Subscribed before the start, stopped after the controller (cleanups run first to last).
    const notifications = startNotifications({
      controller,
      receivers: config.notify.webhooks,
      clock,
      log,
      resolveSecret: secretResolver(config.secrets),
      store,
      stormGuardEveryMs: config.probes.intervalSeconds * 1000,
      onOutcome: (receiver, outcome) => metrics.countWebhook(receiver, outcome),
    });
    cleanups.unshift(() => notifications.stop());
    await controller.start();
    cleanups.unshift(() => controller.stop());
    // Leader and standbys alike: the dashboard lists the pair from these rows (pair-view.ts).
    const heartbeat = new ControllerHeartbeat({ store, clock, log, leadership });
    await heartbeat.start();
    cleanups.unshift(() => heartbeat.stop());
    if (provisioning) {
      const { boot, provisioner } = provisioning;
      // Hosts added or removed through the API reach the boot services, netboot off by default.
      controller.onEvent((e) => {
        if (e.type !== 'inventory') return;
        boot.setHosts(e.hosts);
        provisioner.disableNetboot(e.hosts);
      });
      // A reinstalled host declares the watchdog its new system runs (or none): the self-fence rule reads it.
      boot.events.on('watchdog', (e: WatchdogReportEvent) => {
        controller.recordWatchdog(e.host, e.watchdog, 'install-callback').catch((err: unknown) => {
          log.error({ host: e.host, err: String(err) }, 'could not record the watchdog reported by the install callback');
        });
      });
    }
    if (world && config.demo) {
      const stopDemo = startDemoCrashes({ world, controller, clock, log, everySeconds: config.demo.crashEverySeconds, seed: config.demo.seed });
      cleanups.unshift(stopDemo);
    }
    // Host on demand: swept by the leader only; its writes go through the controller's fenced store.
    const requests = new RequestService({
      store: controller.store,
      controller,
      hypervisor: env.hypervisor,
      clock,
      log,
      catalogue: config.catalogue,
      config: config.onDemand,
      images: realImageTools,
      // --physical: the sim rack's provisioner, or the real one when the PXE boot services run.
      ...(world || provisioning ? { provisioner: env.provisioner } : {}),
      physicalReinstallMs: config.policy.rungs.reinstall.timeoutSeconds * 1000,
      isLeader: () => leadership.isLeader,
    });
    requests.onEvent((e) => {
      if (e.type !== 'request-warning') return;
      notifications.notifier.publish({
        type: 'request-expiry-warning',
        at: e.at,
        data: { request: e.requestId, owner: e.owner, expiresAt: new Date(e.expiresAt).toISOString(), secondsLeft: Math.round((e.expiresAt - e.at) / 1000) },
      });
    });
    requests.start();
    cleanups.unshift(() => requests.stop());
    const tokenFile = config.api.tokenFile ?? defaultTokenFile(config.store.url);
    await ensureFirstAdminToken(store, tokenFile, clock.now(), log);
    const listenHost = typeof opts.listen === 'object' ? opts.listen.host : parseListen(config.api.listen)?.host;
    const app = buildApp({
      controller,
      logger: log,
      access: { ...config.api, allow: { ...config.api.allow, secretRefs: Object.keys(config.secrets) } },
      now: () => clock.now(),
      metrics,
      requests,
      ...(listenHost !== undefined ? { listenHost } : {}),
      ...(config.api.tls ? { https: readTls(config.api.tls) } : {}),
    });
    cleanups.unshift(() => app.close());
    let url = '';
    if (opts.listen !== false) {
      const where = typeof opts.listen === 'object' ? opts.listen : listenAddress(config.api.listen);
      url = await app.listen({ host: where.host, port: where.port });
      log.info({ url, env: env.name, store: store.provider }, `3RC controller listening on ${url}`);
      await heartbeat.setApiUrl(url);
    }
    let stopped = false;
    return {
      controller,
      store,
      env,
      world,
      notifier: notifications.notifier,
      metrics,
      requests,
      url,
      log,
      async stop() {
        if (stopped) return;
        stopped = true;
        for (const c of cleanups) {
          try {
            await c();
          } catch (e) {
            log.error({ error: errorText(e) }, 'error while stopping');
          }
        }
      },
    };
  } catch (e) {
    for (const c of cleanups) await Promise.resolve(c()).catch(() => undefined);
    throw e;
  }
}
