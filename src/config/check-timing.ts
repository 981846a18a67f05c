/**
 * Time budgets that the schema checks one number at a time but not against each other: a rung
 * must outlast the good probes that verify it, a VM's soft reboot must fit in its rung, the storm
 * guard's window must span more than one probe cycle. Run on the merged policy (defaults applied),
 * and only when the policy section itself is valid.
 */
import { resolvePolicy, type ActingRung, type DeepPartial, type Policy } from '../core/policy.js';
import { dig, list, num, type ProblemList } from './check-types.js';
import { PolicyInputSchema } from './schema.js';

/** Defaults of the `probes:` section (schema.ts). */
const DEFAULT_INTERVAL = 5;
const DEFAULT_PROBE_TIMEOUT = 3;

export function checkTiming(raw: unknown, out: ProblemList): void {
  const parsed = PolicyInputSchema.safeParse(dig(raw, 'policy') ?? {});
  if (!parsed.success) return; // the schema reports it
  const policy: Policy = resolvePolicy(parsed.data as DeepPartial<Policy>);
  const interval = num(dig(raw, 'probes', 'intervalSeconds')) ?? DEFAULT_INTERVAL;
  const probeTimeout = num(dig(raw, 'probes', 'timeoutSeconds')) ?? DEFAULT_PROBE_TIMEOUT;
  // Where a number came from: the key the operator wrote, else the rung's key with its default.
  const rungPath = (rung: ActingRung) => ['policy', 'rungs', rung, 'timeoutSeconds'];

  // A rung succeeds only after recoverAfter good probes; a shorter deadline always escalates.
  const verifySeconds = policy.recoverAfter * interval + probeTimeout;
  for (const [rung, r] of Object.entries(policy.rungs) as Array<[ActingRung, Policy['rungs'][ActingRung]]>) {
    if (r.timeoutSeconds <= verifySeconds) {
      out.error(
        rungPath(rung),
        `${rung} gets ${r.timeoutSeconds} s but verifying it takes at least ${verifySeconds} s (recoverAfter ${policy.recoverAfter} probes every ${interval} s, plus a probe timeout): it would always escalate`,
        'rung-shorter-than-verification',
      );
    }
  }

  // A VM's soft reboot waits for the guest before destroying it; then it must still boot and verify.
  const softReboot = policy.vmShutdownTimeoutSeconds + verifySeconds;
  if (list(dig(raw, 'inventory', 'vms')).length > 0 && softReboot >= policy.rungs.reboot.timeoutSeconds) {
    out.error(
      ['policy', 'vmShutdownTimeoutSeconds'],
      `a VM reboot waits ${policy.vmShutdownTimeoutSeconds} s for the guest and ${verifySeconds} s to verify, which is not below rungs.reboot.timeoutSeconds (${policy.rungs.reboot.timeoutSeconds})`,
      'vm-shutdown-outlasts-reboot',
    );
  }

  const window = policy.safety.stormGuard.windowSeconds;
  if (window < 2 * interval) {
    out.warn(
      ['policy', 'safety', 'stormGuard', 'windowSeconds'],
      `${window} s spans less than two probe cycles (${interval} s each): hosts cut off together are seen in different cycles and the storm guard may not count them together`,
      'storm-window-short',
    );
  }
  if (policy.safety.holdRecheckSeconds < interval) {
    out.warn(
      ['policy', 'safety', 'holdRecheckSeconds'],
      `${policy.safety.holdRecheckSeconds} s is shorter than a probe cycle (${interval} s): a held action is asked again at most once a cycle`,
      'recheck-shorter-than-probe',
    );
  }
}
