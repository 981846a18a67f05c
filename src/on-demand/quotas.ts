/** Per-owner quotas (pure): cores, RAM, disk and open requests, counted over the owner's open requests. */
import type { Quota } from './config-schema.js';
import type { Resources } from './placement.js';

export interface QuotaUsage extends Resources {
  requests: number;
}

export function usageOf(open: ReadonlyArray<Resources>): QuotaUsage {
  return open.reduce<QuotaUsage>(
    (u, r) => ({ cores: u.cores + r.cores, ramGb: u.ramGb + r.ramGb, diskGb: u.diskGb + r.diskGb, requests: u.requests + 1 }),
    { cores: 0, ramGb: 0, diskGb: 0, requests: 0 },
  );
}

/** null when `ask` fits; else one line naming the quota, its limit, the usage and the ask. */
export function quotaRefusal(owner: string, quota: Quota, usage: QuotaUsage, ask: Resources): string | null {
  const checks: Array<[string, number, number, number, string]> = [
    ['requests', quota.requests, usage.requests, 1, ''],
    ['cores', quota.cores, usage.cores, ask.cores, ''],
    ['ram', quota.ram, usage.ramGb, ask.ramGb, 'G'],
    ['disk', quota.disk, usage.diskGb, ask.diskGb, 'G'],
  ];
  for (const [name, limit, used, asked, unit] of checks) {
    if (used + asked > limit) {
      return `quota ${name} of ${owner} is ${limit}${unit}: ${used}${unit} in use by ${usage.requests} open request(s), ${asked}${unit} asked`;
    }
  }
  return null;
}
