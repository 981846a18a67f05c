/**
 * A real IPMI BMC for tests: OpenIPMI's ipmi_sim on 127.0.0.1 (UDP, RMCP+), with a
 * chassis_control script that keeps power and boot device in files of a temp dir.
 * Behaviours: `stuckOn` (the BMC accepts "power off" and ignores it: fencing must not be
 * confirmed) and `frozen` (the process is SIGSTOPped: the BMC does not answer at all).
 *
 * Machine mode (`machine` option): the BMC of a real process, e.g. a QEMU PXE client. Power on
 * runs the `start` script (with RRC_BOOTDEV set to the boot device the BMC was last given:
 * `pxe`, `default` for disk, ...), power off runs `stop`, and the power state is whether `alive`
 * exits 0. The scripts must return at once (start the machine detached).
 *
 * System Event Log: the BMC has one (`sel_enable`). `addSelEvent` adds a record while it runs,
 * through ipmi_sim's console (its standard input, a pipe this harness holds open), and waits
 * until the BMC lists it; a Platform Event Message over LAN is refused by ipmi_sim.
 */
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BmcSpec } from '../../../src/core/types.js';
import { freeUdpPort, makeTempDir, requireBinary, spawnPeer, stopChild, untilReady, waitFor } from './common.js';

export interface IpmiSimOptions {
  user?: string;
  password?: string;
  /** Initial power (plain mode only; in machine mode the machine starts off). */
  power?: 'on' | 'off';
  /** Machine mode: `sh` script bodies that start, stop and check the machine behind this BMC. */
  machine?: MachineScripts;
}

export interface MachineScripts {
  /** Starts the machine detached and returns; RRC_BOOTDEV holds the boot device (`pxe`, `default`, ...). */
  start: string;
  /** Stops the machine (bounded) and returns. */
  stop: string;
  /** Exits 0 while the machine runs. */
  alive: string;
}

/** A sensor-specific (event type 0x6f) system event, as a BIOS or OS agent would log it. */
export interface SelEvent {
  /** IPMI sensor type: 0x0f firmware, 0x1d boot initiated, 0x1e boot error, 0x1f OS boot, 0x20 OS stop... */
  sensorType: number;
  /** Sensor-specific offset (event data 1, low nibble). */
  offset: number;
  /** Event data 2 (default 0xff: unspecified). */
  data2?: number;
  /** Deassertion instead of assertion. */
  deassert?: boolean;
}

/** The events the tests use, by what they mean. */
export const SEL = {
  bootInitiated: { sensorType: 0x1d, offset: 0 },
  noBootableMedia: { sensorType: 0x1e, offset: 0 },
  bootCompleted: { sensorType: 0x1f, offset: 1 },
  runtimeCriticalStop: { sensorType: 0x20, offset: 1 },
  firmwareProgress: { sensorType: 0x0f, offset: 2 },
} satisfies Record<string, SelEvent>;

export interface IpmiSimBehaviour {
  /** `set power 0` is logged and ignored. */
  stuckOn?: boolean;
  /** SIGSTOP the simulator (no answer at all); false sends SIGCONT. */
  frozen?: boolean;
}

export interface IpmiSim {
  readonly address: '127.0.0.1';
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly dir: string;
  /** A BmcSpec pointing at this simulator. */
  bmc(secretRef: string): BmcSpec;
  powerState(): 'on' | 'off';
  /** Set the power directly (test setup), not through IPMI. */
  setPower(state: 'on' | 'off'): void;
  /** Boot device as ipmi_sim passed it to the script (`pxe`, `default` for disk, ...). */
  bootDevice(): string;
  /** `name value` lines of every `set` the BMC asked the chassis for, oldest first. */
  calls(): string[];
  /** Machine mode: what the start/stop scripts printed. */
  machineLog(): string;
  setBehaviour(b: IpmiSimBehaviour): void;
  /** Adds one SEL record at run time; resolves once the BMC lists it. */
  addSelEvent(e: SelEvent): Promise<void>;
  stop(): Promise<void>;
}

// ipmi_sim runs `<script> get power boot` and `<script> set power 0 boot pxe` (name/value pairs).
function chassisScript(dir: string, machine: boolean): string {
  // Machine mode: power is the machine's process, not a file. The scripts' output goes to
  // machine.log: ipmi_sim reads the `get` output line by line.
  const power = machine
    ? {
        get: `if sh "$D/machine-alive.sh" >/dev/null 2>&1; then echo power:1; else echo power:0; fi`,
        on: `sh "$D/machine-alive.sh" >/dev/null 2>&1 || RRC_BOOTDEV="$(cat "$D/boot")" sh "$D/machine-start.sh" >>"$D/machine.log" 2>&1`,
        off: `sh "$D/machine-stop.sh" >>"$D/machine.log" 2>&1`,
      }
    : { get: `echo "power:$(cat "$D/power" 2>/dev/null || echo 0)"`, on: `echo 1 > "$D/power"`, off: `echo 0 > "$D/power"` };
  return `#!/bin/sh
D='${dir}'
op="$1"; shift
if [ "$op" = get ]; then
  for n in "$@"; do
    case "$n" in
      power) ${power.get};;
      boot) echo "boot:$(cat "$D/boot" 2>/dev/null || echo default)";;
    esac
  done
elif [ "$op" = set ]; then
  while [ $# -ge 2 ]; do
    echo "$1 $2" >> "$D/calls.log"
    case "$1" in
      power)
        if [ "$2" = 0 ]; then
          if [ -f "$D/stuck-on" ]; then :; else ${power.off}; fi
        else
          ${power.on}
        fi;;
${machine ? `      reset) ${power.off}; ${power.on};;
` : ''}      boot) echo "$2" > "$D/boot";;
    esac
    shift 2
  done
fi
exit 0
`;
}

function lanConf(port: number, script: string, user: string, password: string): string {
  return `name "bmc1"
set_working_mc 0x20
startlan 1
  addr 127.0.0.1 ${port}
  priv_limit admin
  allowed_auths_callback none md2 md5 straight
  allowed_auths_user none md2 md5 straight
  allowed_auths_operator none md2 md5 straight
  allowed_auths_admin none md2 md5 straight
  guid a123456789abcdefa123456789abcdef
endlan
chassis_control "${script}"
user 2 true "${user}" "${password}" admin 10 none md2 md5 straight
`;
}

const CMDS_EMU = `mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
sel_enable 0x20 1000 0x0a
mc_enable 0x20
`;

// Type 02, generator 0x20 (the BMC), EvM rev 04, sensor 1, then event type / data 1-3.
function selAddLine(e: SelEvent): string {
  const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;
  const eventType = e.deassert ? 0xef : 0x6f;
  return `sel_add 0x20 0x02 0x00 0x00 0x00 0x00 0x20 0x00 0x04 ${hex(e.sensorType)} 0x01 ${hex(eventType)} ${hex(e.offset & 0x0f)} ${hex(e.data2 ?? 0xff)} 0xff\n`;
}

/** Number of SEL entries the BMC reports, or -1 when it does not answer. */
function selEntries(ipmitool: string, port: number, user: string, password: string): Promise<number> {
  return new Promise((resolve) => {
    execFile(
      ipmitool,
      ['-I', 'lanplus', '-C', '3', '-H', '127.0.0.1', '-p', String(port), '-U', user, '-E', '-N', '1', '-R', '0', 'sel', 'info'],
      { env: { PATH: process.env.PATH ?? '', IPMI_PASSWORD: password }, timeout: 3000, killSignal: 'SIGKILL' },
      (err, stdout) => resolve(err ? -1 : Number(/Entries\s*:\s*(\d+)/.exec(String(stdout))?.[1] ?? -1)),
    );
  });
}

/** One ipmitool status call, used to know when the simulator answers. */
function answers(ipmitool: string, port: number, user: string, password: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      ipmitool,
      ['-I', 'lanplus', '-C', '3', '-H', '127.0.0.1', '-p', String(port), '-U', user, '-E', '-N', '1', '-R', '0', 'chassis', 'power', 'status'],
      { env: { PATH: process.env.PATH ?? '', IPMI_PASSWORD: password }, timeout: 3000, killSignal: 'SIGKILL' },
      (err, stdout) => resolve(!err && /Chassis Power is/.test(String(stdout))),
    );
  });
}

export async function startIpmiSim(opts: IpmiSimOptions = {}): Promise<IpmiSim> {
  const ipmiSim = requireBinary('ipmi_sim', 'openipmi');
  const ipmitool = requireBinary('ipmitool', 'ipmitool');
  const user = opts.user ?? 'admin';
  const password = opts.password ?? 'secret';
  if (/["\n]/.test(user + password)) throw new Error('ipmi_sim user/password must not contain quotes or newlines');
  const tmp = makeTempDir('ipmi');
  const { dir } = tmp;
  const script = join(dir, 'chassis-control.sh');
  const machine = opts.machine;
  writeFileSync(script, chassisScript(dir, machine !== undefined));
  chmodSync(script, 0o755);
  if (machine) {
    writeFileSync(join(dir, 'machine-start.sh'), machine.start);
    writeFileSync(join(dir, 'machine-stop.sh'), machine.stop);
    writeFileSync(join(dir, 'machine-alive.sh'), machine.alive);
    writeFileSync(join(dir, 'machine.log'), '');
  }
  /** Runs one machine script directly (test setup and state reads, not through IPMI). */
  const machineRun = (name: 'start' | 'stop' | 'alive'): boolean => {
    try {
      execFileSync('sh', [join(dir, `machine-${name}.sh`)], {
        env: { ...process.env, RRC_BOOTDEV: readFileSync(join(dir, 'boot'), 'utf8').trim() },
        stdio: 'ignore',
        timeout: 15_000,
        killSignal: 'SIGKILL',
      });
      return true;
    } catch {
      return false;
    }
  };
  writeFileSync(join(dir, 'power'), opts.power === 'off' ? '0\n' : '1\n');
  writeFileSync(join(dir, 'boot'), 'default\n');
  writeFileSync(join(dir, 'calls.log'), '');
  writeFileSync(join(dir, 'cmds.emu'), CMDS_EMU);
  mkdirSync(join(dir, 'state'));

  // A free port can be taken between the check and the bind: retry a few times.
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeUdpPort();
    writeFileSync(join(dir, 'lan.conf'), lanConf(port, script, user, password));
    // No -n: standard input is the console (sel_add at run time); the pipe stays open until stop.
    const peer = spawnPeer(ipmiSim, ['-c', join(dir, 'lan.conf'), '-f', join(dir, 'cmds.emu'), '-s', join(dir, 'state')], {
      cwd: dir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    try {
      await untilReady(
        'ipmi_sim',
        peer,
        waitFor(`ipmi_sim on 127.0.0.1:${port}`, () => answers(ipmitool, port, user, password), { timeoutMs: 10_000, intervalMs: 100 }),
      );
    } catch (e) {
      lastErr = e;
      await stopChild(peer.child);
      continue;
    }
    writeFileSync(join(dir, 'calls.log'), ''); // readiness probes are not test traffic
    let stopped = false;
    return {
      address: '127.0.0.1',
      port,
      user,
      password,
      dir,
      bmc: (secretRef) => ({ address: '127.0.0.1', port, user, secretRef }),
      powerState: () => {
        if (machine) return machineRun('alive') ? 'on' : 'off';
        return readFileSync(join(dir, 'power'), 'utf8').trim() === '1' ? 'on' : 'off';
      },
      setPower: (state) => {
        if (!machine) return writeFileSync(join(dir, 'power'), state === 'on' ? '1\n' : '0\n');
        if (state === 'off') machineRun('stop');
        else if (!machineRun('alive')) machineRun('start');
      },
      bootDevice: () => readFileSync(join(dir, 'boot'), 'utf8').trim(),
      calls: () => readFileSync(join(dir, 'calls.log'), 'utf8').split('\n').filter(Boolean),
      machineLog: () => (machine ? readFileSync(join(dir, 'machine.log'), 'utf8') : ''),
      setBehaviour: (b) => {
        if (b.stuckOn === true) appendFileSync(join(dir, 'stuck-on'), '');
        if (b.stuckOn === false && existsSync(join(dir, 'stuck-on'))) rmSync(join(dir, 'stuck-on'));
        if (b.frozen === true) peer.child.kill('SIGSTOP');
        if (b.frozen === false) peer.child.kill('SIGCONT');
      },
      addSelEvent: async (e) => {
        const before = await selEntries(ipmitool, port, user, password);
        if (before < 0) throw new Error('ipmi_sim does not answer: cannot add a SEL record');
        const stdin = peer.child.stdin;
        if (!stdin) throw new Error('ipmi_sim console not open');
        await new Promise<void>((resolve, reject) => stdin.write(selAddLine(e), (err) => (err ? reject(err) : resolve())));
        await waitFor('SEL record listed', async () => (await selEntries(ipmitool, port, user, password)) > before, {
          timeoutMs: 5000,
          intervalMs: 50,
        });
      },
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await stopChild(peer.child);
        if (machine) machineRun('stop');
        tmp.remove();
      },
    };
  }
  tmp.remove();
  throw new Error(`ipmi_sim did not start: ${String(lastErr)}`);
}
