/**
 * From the measured CPU per probe to a fleet: what N hosts probed every `intervalSeconds` cost
 * in cores, and how many hosts one core can probe at that interval. Pure (unit-tested).
 */
export interface FleetCost {
  hosts: number;
  intervalSeconds: number;
  probesPerSecond: number;
  /** CPU seconds per second, i.e. cores busy all the time. */
  cores: number;
  /** Hosts one core can probe at this interval. */
  hostsPerCore: number;
  /** Probes in flight at once at the measured median latency (what probes.concurrency must allow). */
  concurrencyNeeded: number;
}

export function fleetCost(cpuMsPerProbe: number, latencyMsPerProbe: number, hosts: number, intervalSeconds: number): FleetCost {
  const probesPerSecond = hosts / intervalSeconds;
  const cores = (probesPerSecond * cpuMsPerProbe) / 1000;
  const hostsPerCore = cpuMsPerProbe > 0 ? (intervalSeconds * 1000) / cpuMsPerProbe : Number.POSITIVE_INFINITY;
  return {
    hosts,
    intervalSeconds,
    probesPerSecond: Math.round(probesPerSecond * 10) / 10,
    cores: Math.round(cores * 100) / 100,
    hostsPerCore: Math.floor(hostsPerCore),
    concurrencyNeeded: Math.ceil((probesPerSecond * latencyMsPerProbe) / 1000),
  };
}

/**
 * CPU per host probe when the BMC is read on only a share of the probes: the in-band part every
 * time, the BMC part `bmcShare` of the time (1 = every probe).
 */
export function blendedCpuMs(inBandMs: number, bmcMs: number, bmcShare: number): number {
  return inBandMs + bmcMs * bmcShare;
}
