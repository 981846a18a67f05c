/**
 * `3rc host power|bootdev|fence|probe`: operator commands over the host drivers (BMC, probes),
 * through the controller so they take the same locks and land in the audit log.
 * These calls wait on hardware, so they default to a longer API timeout than other commands.
 */
import { Argument, type Command } from 'commander';
import {
  BOOT_DEVICES,
  HOST_POWER_OPS,
  type BootDevOut,
  type FenceOut,
  type HostPowerOut,
  type HostProbeOut,
  type SignatureOut,
} from '../../api/schemas/operator.js';
import { seg, type ApiClient } from '../client.js';
import { clientWithTimeout, group, wantsJson, type GlobalOptions } from '../context.js';
import { keyValues, print, printJson, shortTime } from '../output.js';

/** Seconds to wait for commands that change hardware (fence confirms for up to ~30 s; VM reboot waits for the guest). */
export const CHANGE_TIMEOUT_S = 120;
/** Seconds to wait for reads that touch hardware (BMC power status, probes). */
export const READ_TIMEOUT_S = 60;

/** The API client for a driver command: `defaultSeconds` unless --timeout was given explicitly. */
export function driverClient(cmd: Command, defaultSeconds: number): ApiClient {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const source = root.getOptionValueSource('timeout');
  const seconds = source === undefined || source === 'default' ? defaultSeconds : g.timeout;
  return clientWithTimeout(cmd, seconds * 1000);
}

export const timeoutHelp = (seconds: number | string): string =>
  `\nWaits up to ${typeof seconds === 'number' ? `${seconds}s` : seconds} for the controller, longer than other commands; --timeout <seconds> overrides.\n`;

type Cell = string | number | boolean | null | undefined;
type Pairs = Array<[string, Cell]>;

/** A probe verdict for people: yes / no, or why there is none. */
export function yesNo(v: boolean | null, absent = 'not probed'): string {
  return v === null ? absent : v ? 'yes' : 'no';
}

export function signatureText(s: SignatureOut): string {
  return `${s.code} (${s.summary})`;
}

export function detailPairs(details: Record<string, string> | undefined): Pairs {
  return Object.keys(details ?? {})
    .sort()
    .map((k): [string, Cell] => [`details.${k}`, details?.[k]]);
}

export function hostProbeText(p: HostProbeOut): string {
  const o = p.observation;
  return keyValues([
    ['host', p.host],
    ['bmcReachable', yesNo(o.bmcReachable, 'no BMC configured')],
    ['power', o.power],
    ['reachable', yesNo(o.reachable)],
    ['shellOk', yesNo(o.shellOk, 'no SSH configured')],
    ['hypervisorOk', yesNo(o.hypervisorOk)],
    ...detailPairs(o.details),
    ['signature', signatureText(p.signature)],
  ]);
}

export function registerHostOpsCommands(program: Command): void {
  const host = group(program, 'host', 'manage physical hosts');

  host
    .command('power')
    .description('read the power state (status) or power the host on, off or cycle it through its BMC')
    .argument('<host>', 'host name')
    .addArgument(new Argument('<op>', HOST_POWER_OPS.join('|')).choices(HOST_POWER_OPS))
    .option('--json', 'print JSON: { host, op, power }')
    .addHelpText('after', timeoutHelp(`${READ_TIMEOUT_S}s (status) or ${CHANGE_TIMEOUT_S}s (on, off, cycle)`))
    .action(async (name: string, op: (typeof HOST_POWER_OPS)[number], _opts: unknown, cmd: Command) => {
      const r =
        op === 'status'
          ? await driverClient(cmd, READ_TIMEOUT_S).get<HostPowerOut>(`/hosts/${seg(name)}/power`)
          : await driverClient(cmd, CHANGE_TIMEOUT_S).post<HostPowerOut>(`/hosts/${seg(name)}/power`, { op });
      if (wantsJson(cmd)) return printJson(r);
      print(`${r.host}  power ${r.power}${r.op === 'status' ? '' : `  (after power ${r.op})`}`);
    });

  host
    .command('bootdev')
    .description('set the device the host boots from next (pxe to reinstall it, disk otherwise)')
    .argument('<host>', 'host name')
    .addArgument(new Argument('<device>', BOOT_DEVICES.join('|')).choices(BOOT_DEVICES))
    .option('--json', 'print JSON: { host, device }')
    .addHelpText('after', timeoutHelp(CHANGE_TIMEOUT_S))
    .action(async (name: string, device: string, _opts: unknown, cmd: Command) => {
      const r = await driverClient(cmd, CHANGE_TIMEOUT_S).post<BootDevOut>(`/hosts/${seg(name)}/bootdev`, { device });
      if (wantsJson(cmd)) return printJson(r);
      print(`${r.host}  next boot from ${r.device}`);
    });

  host
    .command('fence')
    .description('fence a host: power it off and confirm by reading the BMC back; exit 1 with the reason if it cannot be confirmed')
    .argument('<host>', 'host name')
    .option('--json', 'print JSON: { host, confirmedAt, offAttempts }')
    .addHelpText('after', timeoutHelp(CHANGE_TIMEOUT_S))
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const r = await driverClient(cmd, CHANGE_TIMEOUT_S).post<FenceOut>(`/hosts/${seg(name)}/fence`);
      if (wantsJson(cmd)) return printJson(r);
      const attempts = `${r.offAttempts} power-off ${r.offAttempts === 1 ? 'command' : 'commands'}`;
      print(`${r.host}  fenced  (power off confirmed ${shortTime(r.confirmedAt)}, ${attempts})`);
    });

  host
    .command('probe')
    .description('probe a host now: every probe result and the failure signature they add up to')
    .argument('<host>', 'host name')
    .option('--json', 'print JSON: { host, observation, signature }')
    .addHelpText('after', timeoutHelp(READ_TIMEOUT_S))
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const r = await driverClient(cmd, READ_TIMEOUT_S).get<HostProbeOut>(`/hosts/${seg(name)}/probe`);
      if (wantsJson(cmd)) return printJson(r);
      print(hostProbeText(r));
    });
}
