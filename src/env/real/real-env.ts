/**
 * Composition of the real Env: IPMI (ipmitool), libvirt (@unraid/libvirt), SSH (ssh2) and the
 * real prober. PXE reinstall is plugged in by the caller (src/drivers/pxe); without one,
 * reinstall fails loudly instead of pretending.
 */
import type { Clock, Env, Logger, Provisioner } from '../../env/env.js';
import { RrcError } from '../../errors.js';
import { IpmiPowerDriver } from '../../drivers/ipmi.js';
import { SelMarks } from '../../drivers/ipmi-sel.js';
import { LibvirtDriver, type LibvirtConnect } from '../../drivers/libvirt.js';
import { SshShell } from '../../drivers/ssh.js';
import { RealProber, type ProbeTimeouts } from './prober.js';
import type { ResolveSecret } from './secrets.js';
import { RealWitnesses } from './witness.js';

export interface RealTimeouts {
  /** Per ipmitool run (action calls). Default 10 s. */
  ipmiMs?: number;
  ipmiRetries?: number;
  /** Per libvirt binding call. Default 10 s. */
  libvirtCallMs?: number;
  /** Per-check deadlines of the prober. */
  probe?: Partial<ProbeTimeouts>;
}

export interface RealEnvOptions {
  clock: Clock;
  log: Logger;
  resolveSecret: ResolveSecret;
  knownHostsFile: string;
  timeouts?: RealTimeouts;
  /** Shell command (over SSH on the host) for the restart-hypervisor rung, e.g. `systemctl restart libvirtd`. */
  hypervisorRestartCommand: string;
  provisioner?: Provisioner;
  /** Private key file for SSH endpoints without keyRef. */
  sshKeyFile?: string;
  /** Override of the libvirt binding (tests). */
  libvirtConnect?: LibvirtConnect;
  /** `host:port` addresses of the controller's self-check (witness.ts); config key to come. */
  witnessAddresses?: readonly string[];
  /** RealProberOptions.installCheckCommand: run over SSH on a host whose hypervisor is down. */
  installCheckCommand?: string | null;
  /**
   * RealProberOptions.bmcRefreshMs: how long a BMC "on" stands for a host that answers every
   * in-band check. Default PROBE_BMC_REFRESH_MS; null: read the BMC at every probe.
   */
  probeBmcRefreshMs?: number | null;
}

/**
 * A healthy host's BMC is read once a minute rather than at every probe (5 s): ipmitool was about
 * three quarters of a host probe's CPU (bench/results/probe-scale.md). A host that fails any
 * in-band check has its BMC read at once, and at every probe until it answers again.
 */
export const PROBE_BMC_REFRESH_MS = 60_000;

export interface RealEnv extends Env {
  readonly name: 'real';
  readonly hypervisor: LibvirtDriver;
  /** Not part of Env (yet): what the restart-hypervisor rung runs over SSH. */
  readonly hypervisorRestartCommand: string;
  /** Closes the libvirt connections. */
  close(): Promise<void>;
}

export const unconfiguredProvisioner: Provisioner = {
  reinstall: () => Promise.reject(new RrcError('RRC_ERR_MISSING_DEPENDENCY', 'PXE provisioner not configured')),
};

export function createRealEnv(opts: RealEnvOptions): RealEnv {
  const { clock, resolveSecret } = opts;
  const t = opts.timeouts ?? {};
  const log = opts.log.child({ env: 'real' });
  // Where each SEL stood at our last power action: the probes' boot progress ignores older records.
  const selMarks = new SelMarks();
  const power = new IpmiPowerDriver({
    resolveSecret,
    clock,
    selMarks,
    log: log.child({ driver: 'ipmi' }),
    ...(t.ipmiMs !== undefined ? { timeoutMs: t.ipmiMs } : {}),
    ...(t.ipmiRetries !== undefined ? { retries: t.ipmiRetries } : {}),
  });
  const hypervisor = new LibvirtDriver({
    clock,
    log: log.child({ driver: 'libvirt' }),
    ...(t.libvirtCallMs !== undefined ? { callTimeoutMs: t.libvirtCallMs } : {}),
    ...(opts.libvirtConnect ? { connect: opts.libvirtConnect } : {}),
  });
  const shell = new SshShell({
    knownHostsFile: opts.knownHostsFile,
    resolveSecret,
    log: log.child({ driver: 'ssh' }),
    ...(opts.sshKeyFile ? { defaultKeyFile: opts.sshKeyFile } : {}),
  });
  // Probes get their own BMC driver: one attempt, bounded by the probe deadline, so a dead BMC
  // costs one timeout per probe and not (retries + 1) of them.
  const probeBmcMs = t.probe?.bmcMs ?? 5_000;
  const probePower = new IpmiPowerDriver({ resolveSecret, clock, retries: 0, timeoutMs: probeBmcMs, selMarks });
  const probes = new RealProber({
    power: probePower,
    hypervisor,
    shell,
    clock,
    ...(t.probe ? { timeouts: t.probe } : {}),
    ...(opts.installCheckCommand ? { installCheckCommand: opts.installCheckCommand } : {}),
    bmcRefreshMs: opts.probeBmcRefreshMs === undefined ? PROBE_BMC_REFRESH_MS : opts.probeBmcRefreshMs,
  });
  return {
    name: 'real',
    clock,
    log,
    probes,
    power,
    hypervisor,
    shell,
    provisioner: opts.provisioner ?? unconfiguredProvisioner,
    witnesses: new RealWitnesses({
      shell,
      log: log.child({ driver: 'witness' }),
      ...(opts.witnessAddresses ? { selfCheckAddresses: opts.witnessAddresses } : {}),
    }),
    hypervisorRestartCommand: opts.hypervisorRestartCommand,
    close: () => hypervisor.close(),
  };
}
