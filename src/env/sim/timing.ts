/**
 * How long things take in the simulated rack: named, seeded distributions, all in seconds.
 *
 * The defaults aim at the measurements of the 3RC paper (Calzolari, "High availability using
 * virtualization"): non-destructive recovery (host reboot) mean 181 s sigma 10 s, destructive
 * recovery (PXE reinstall) mean 542 s sigma 17 s, both including detection and the controller's
 * hysteresis. The sum of the reinstall phases below is about 485 s; detection adds the rest.
 * Every value is a parameter: `createWorld({ timings: { hostBootSeconds: constant(90) } })`.
 */
import type { Random } from './random.js';

export type Distribution =
  | { dist: 'constant'; value: number }
  /** Truncated at 0: a duration is never negative. */
  | { dist: 'normal'; mean: number; sd: number }
  /** Mean and deviation of the variable itself; right-skewed, for things with a long tail. */
  | { dist: 'lognormal'; mean: number; sd: number }
  | { dist: 'uniform'; min: number; max: number };

export const constant = (value: number): Distribution => ({ dist: 'constant', value });
export const normal = (mean: number, sd: number): Distribution => ({ dist: 'normal', mean, sd });
export const lognormal = (mean: number, sd: number): Distribution => ({ dist: 'lognormal', mean, sd });
export const uniform = (min: number, max: number): Distribution => ({ dist: 'uniform', min, max });

export interface SimTimings {
  /** Server power-on self test (DIMM training, RAID and NIC option ROMs) until the boot loader. */
  hostPostSeconds: Distribution;
  /** Physical server POST + OS boot until sshd and libvirtd answer. Rack servers take 1.5-3 min. */
  hostBootSeconds: Distribution;
  /** Clean OS shutdown (services stop, guests are stopped) before the reboot or power-off. */
  hostShutdownSeconds: Distribution;
  /** Guest boot until its network and services answer. Paper (Timm): Xen guests reboot in 5-10 s;
   * a general purpose distribution with services is slower. */
  vmBootSeconds: Distribution;
  /** Guest ACPI shutdown. A hung or panicked guest never shuts down cleanly. */
  vmShutdownSeconds: Distribution;
  /** `systemctl restart libvirtd` until the daemon accepts connections again. */
  hypervisorRestartSeconds: Distribution;
  /** The service's restart command inside the guest until the service answers. */
  serviceRestartSeconds: Distribution;
  /** PXE: DHCP discover/offer/request/ack, including the NIC link coming up. */
  dhcpSeconds: Distribution;
  /** PXE: the network boot program (pxelinux / iPXE) over TFTP. */
  tftpSeconds: Distribution;
  /** PXE: kernel + initrd over HTTP (about 100 MB on a 1 Gb/s management network, plus unpacking). */
  httpSeconds: Distribution;
  /** Installer start until it has fetched its kickstart / preseed file. */
  kickstartSeconds: Distribution;
  /** Unattended install: partitioning, packages, post scripts. Dominates the reinstall time. */
  installSeconds: Distribution;
}

export const DEFAULT_TIMINGS: SimTimings = {
  hostPostSeconds: normal(60, 5),
  hostBootSeconds: normal(110, 10),
  hostShutdownSeconds: normal(15, 3),
  vmBootSeconds: normal(25, 4),
  vmShutdownSeconds: normal(8, 2),
  hypervisorRestartSeconds: normal(6, 1.5),
  serviceRestartSeconds: normal(3, 1),
  dhcpSeconds: normal(4, 0.5),
  tftpSeconds: normal(2, 0.3),
  httpSeconds: normal(8, 1),
  kickstartSeconds: normal(1, 0.2),
  installSeconds: normal(300, 15),
};

export type TimingName = keyof SimTimings;

/** One draw, in milliseconds, never negative. */
export function sampleMs(random: Random, d: Distribution): number {
  let seconds: number;
  switch (d.dist) {
    case 'constant':
      seconds = d.value;
      break;
    case 'normal':
      seconds = d.sd > 0 ? random.normal(d.mean, d.sd) : d.mean;
      break;
    case 'lognormal':
      seconds = d.sd > 0 && d.mean > 0 ? random.lognormalMeanSd(d.mean, d.sd) : d.mean;
      break;
    case 'uniform':
      seconds = random.uniform(d.min, d.max);
      break;
  }
  return Math.max(0, Math.round(seconds * 1000));
}
