/**
 * `3rc vm probe|reboot|restart|move`: operator commands over the hypervisor and the probes,
 * through the controller so they take the same locks and land in the audit log.
 */
import type { Command } from 'commander';
import { hostNameSchema } from '../../api/schemas/common.js';
import { VM_POWER_OPS, type VmMoveOut, type VmPowerOut, type VmProbeOut } from '../../api/schemas/operator.js';
import { seg } from '../client.js';
import { group, wantsJson } from '../context.js';
import { usageError } from '../errors.js';
import { keyValues, print, printJson } from '../output.js';
import { CHANGE_TIMEOUT_S, detailPairs, driverClient, READ_TIMEOUT_S, signatureText, timeoutHelp, yesNo } from './host-ops.js';

export function vmProbeText(p: VmProbeOut): string {
  const o = p.observation;
  return keyValues([
    ['vm', p.vm],
    ['host', p.host],
    ['hostDown', yesNo(o.hostDown)],
    ['hypervisorOk', yesNo(o.hypervisorOk)],
    ['domain', o.domain],
    ['guestReachable', yesNo(o.guestReachable)],
    ['serviceOk', yesNo(o.serviceOk, 'no service check')],
    ...detailPairs(o.details),
    ['signature', signatureText(p.signature)],
  ]);
}

const POWER_HELP: Record<(typeof VM_POWER_OPS)[number], string> = {
  reboot: 'reboot a VM: shutdown, wait, start (destroy + start if the guest ignores the shutdown)',
  restart: 'restart a VM hard: destroy (if running) + start',
};
const DONE: Record<(typeof VM_POWER_OPS)[number], string> = { reboot: 'rebooted', restart: 'restarted' };

export function registerVmOpsCommands(program: Command): void {
  const vm = group(program, 'vm', 'manage virtual machines');

  vm.command('probe')
    .description('probe a VM now on its current host: every probe result and the failure signature')
    .argument('<vm>', 'VM name')
    .option('--json', 'print JSON: { vm, host, observation, signature }')
    .addHelpText('after', timeoutHelp(READ_TIMEOUT_S))
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const r = await driverClient(cmd, READ_TIMEOUT_S).get<VmProbeOut>(`/vms/${seg(name)}/probe`);
      if (wantsJson(cmd)) return printJson(r);
      print(vmProbeText(r));
    });

  for (const op of VM_POWER_OPS) {
    vm.command(op)
      .description(POWER_HELP[op])
      .argument('<vm>', 'VM name')
      .option('--json', 'print JSON: { vm, host, op }')
      .addHelpText('after', timeoutHelp(CHANGE_TIMEOUT_S))
      .action(async (name: string, _opts: unknown, cmd: Command) => {
        const r = await driverClient(cmd, CHANGE_TIMEOUT_S).post<VmPowerOut>(`/vms/${seg(name)}/${op}`);
        if (wantsJson(cmd)) return printJson(r);
        print(`${r.vm}  ${DONE[op]} on ${r.host}`);
      });
  }

  vm.command('move')
    .description('move a VM: stop it where it is (confirmed), then start it on another host')
    .argument('<vm>', 'VM name')
    .requiredOption('--to <host>', 'host to start the VM on')
    .option('--json', 'print JSON: { from, to, vm }')
    .addHelpText('after', timeoutHelp(CHANGE_TIMEOUT_S))
    .action(async (name: string, opts: { to: string }, cmd: Command) => {
      const to = hostNameSchema.safeParse(opts.to);
      if (!to.success) throw usageError(`--to: ${to.error.issues[0]?.message ?? 'invalid host name'}, got "${opts.to}"`);
      const r = await driverClient(cmd, CHANGE_TIMEOUT_S).post<VmMoveOut>(`/vms/${seg(name)}/move`, { to: to.data });
      if (wantsJson(cmd)) return printJson(r);
      print(`${r.vm.name}  moved ${r.from} -> ${r.to}`);
    });
}
