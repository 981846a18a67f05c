/**
 * A QEMU machine that boots from the network, for the reinstall tests (LAB.md facts: TCG only,
 * iPXE ROMs from ipxe-qemu, OVMF for UEFI, a tap in the client network namespace).
 *
 * Firmware:
 *   bios        SeaBIOS + pxe-e1000.rom on an e1000: iPXE is the NIC's ROM (DHCP -> HTTP script).
 *   uefi-ipxe   OVMF + efi-e1000.rom on an e1000: iPXE's EFI driver boots first (DHCP -> HTTP script).
 *   uefi-native OVMF's own PXE (EDK2 PxeBcDxe) on virtio-net with no option ROM: a firmware PXE
 *               client (DHCP -> TFTP ipxe.efi -> iPXE DHCP -> HTTP script), the flow of real servers.
 *               EDK2 takes an offer carrying option 60 "PXEClient" without option 43 for a BINL
 *               offer and asks a boot server on UDP 4011 (PXE-E16 when none answers): it needs a
 *               DHCP server that leaves option 60 out of such replies.
 *
 * No disk is attached: "boot from disk" (RRC_BOOTDEV other than pxe) only drops the NIC from the
 * front of the boot order; both firmwares still try the NIC once the disk fails, as real machines
 * with the network in their boot order do, and get no boot file while netboot is off.
 *
 * The machine is started detached (`-daemonize -pidfile`) from shell scripts, so that the BMC's
 * chassis_control script (test/lab/peers/ipmi-sim.ts, machine mode) powers it on and off;
 * `RRC_BOOTDEV=pxe` boots from the network first, anything else from the (absent) disk first.
 * The serial console goes to a log file. Every process carries a unique `-name` marker; `kill()`
 * finds them by it (pid file or /proc), so call it from after() and nothing survives the test.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineScripts } from '../peers/ipmi-sim.js';
import { delay, makeTempDir, pidAlive, requireBinary } from '../peers/common.js';

export type QemuFirmware = 'bios' | 'uefi-ipxe' | 'uefi-native';

export const QEMU_FILES = {
  biosRom: '/usr/lib/ipxe/qemu/pxe-e1000.rom',
  efiRom: '/usr/lib/ipxe/qemu/efi-e1000.rom',
  ovmfCode: '/usr/share/OVMF/OVMF_CODE_4M.fd',
  ovmfVars: '/usr/share/OVMF/OVMF_VARS_4M.fd',
} as const;

const MARKER_PREFIX = 'rrcqemu';

export interface QemuPxeOptions {
  firmware: QemuFirmware;
  /** Network namespace holding the tap (QEMU runs inside it). */
  netns: string;
  tap: string;
  mac: string;
  memoryMb?: number;
}

export interface QemuPxeClient {
  readonly marker: string;
  readonly dir: string;
  readonly serialLog: string;
  /** For ipmi_sim's machine mode: the BMC starts and stops this machine. */
  readonly scripts: MachineScripts;
  /** Starts the machine directly (not through a BMC); no-op if it runs. */
  start(bootdev?: 'pxe' | 'disk'): void;
  isRunning(): boolean;
  /** Serial console so far, without terminal escapes. */
  console(): string;
  /** Kills every process of this machine (SIGKILL), waits until gone, removes the temp dir. */
  kill(): Promise<void>;
}

/** Fails loudly, naming the Debian package, when QEMU or a firmware file is missing. */
export function requireQemu(firmware: QemuFirmware): string {
  const qemu = requireBinary('qemu-system-x86_64', 'qemu-system-x86');
  const need: Array<[string, string]> =
    firmware === 'bios'
      ? [[QEMU_FILES.biosRom, 'ipxe-qemu']]
      : [[QEMU_FILES.ovmfCode, 'ovmf'], [QEMU_FILES.ovmfVars, 'ovmf'], ...(firmware === 'uefi-ipxe' ? [[QEMU_FILES.efiRom, 'ipxe-qemu'] as [string, string]] : [])];
  for (const [file, pkg] of need) {
    try {
      accessSync(file, constants.R_OK);
    } catch {
      throw new Error(`${file} not found: install Debian package ${pkg} (apt-get install ${pkg})`);
    }
  }
  return qemu;
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** PIDs of live processes whose command line contains `needle`. */
function pidsWith(needle: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes(needle)) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out.filter((p) => p !== process.pid);
}

const liveMarkers = new Set<string>();
let exitHookInstalled = false;

/** Last resort when a test process exits without after() having run: no machine outlives it. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const marker of liveMarkers) {
      for (const pid of pidsWith(`\0${marker}\0`)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  });
}

/** Kills QEMU machines left by test runs that died (their creator PID is in the marker). */
export function killStaleQemu(): number[] {
  const killed: number[] = [];
  for (const pid of pidsWith(`${MARKER_PREFIX}-`)) {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const m = new RegExp(`-name\\0${MARKER_PREFIX}-(\\d+)-[0-9a-f]+`).exec(cmd);
    if (!m || pidAlive(Number(m[1]))) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // already gone
    }
  }
  return killed;
}

export function createQemuPxeClient(opts: QemuPxeOptions): QemuPxeClient {
  const qemu = requireQemu(opts.firmware);
  const ip = requireBinary('ip', 'iproute2');
  killStaleQemu();
  const tmp = makeTempDir('qemu');
  const dir = tmp.dir;
  const marker = `${MARKER_PREFIX}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const serialLog = join(dir, 'serial.log');
  const pidFile = join(dir, 'qemu.pid');
  const vars = join(dir, 'OVMF_VARS.fd');
  const sercon = join(dir, 'sercon-port.bin');
  // SeaBIOS prints (and shows option ROMs' text) on the serial port when fw_cfg names it:
  // what -nographic does, which -daemonize does not allow. Port 0x3f8, little endian.
  writeFileSync(sercon, Buffer.from([0xf8, 0x03]));

  const common = [
    qemu, '-name', marker, '-accel', 'tcg', '-m', String(opts.memoryMb ?? (opts.firmware === 'bios' ? 128 : 256)),
    '-nodefaults', '-no-user-config', '-display', 'none', '-monitor', 'none',
    '-serial', `file:${serialLog}`, '-daemonize', '-pidfile', pidFile,
    '-netdev', `tap,id=n0,ifname=${opts.tap},script=no,downscript=no`,
  ];
  let firmware: string[];
  let pxe: string[];
  let disk: string[];
  switch (opts.firmware) {
    case 'bios':
      firmware = ['-machine', 'pc', '-fw_cfg', `name=etc/sercon-port,file=${sercon}`, '-device', `e1000,netdev=n0,mac=${opts.mac},romfile=${QEMU_FILES.biosRom}`];
      pxe = ['-boot', 'n'];
      disk = ['-boot', 'c'];
      break;
    case 'uefi-ipxe':
    case 'uefi-native': {
      const nic = opts.firmware === 'uefi-ipxe' ? `e1000,netdev=n0,mac=${opts.mac},romfile=${QEMU_FILES.efiRom}` : `virtio-net-pci,netdev=n0,mac=${opts.mac},romfile=`;
      firmware = [
        '-machine', 'q35',
        '-drive', `if=pflash,format=raw,readonly=on,file=${QEMU_FILES.ovmfCode}`,
        '-drive', `if=pflash,format=raw,file=${vars}`,
      ];
      // The boot device is the NIC's boot index; the VARS copy is fresh at every power on, so
      // no boot order learnt by OVMF survives a power cycle.
      pxe = ['-device', `${nic},bootindex=1`];
      disk = ['-device', nic];
      break;
    }
  }
  const line = (extra: string[]) => [ip, 'netns', 'exec', opts.netns, ...common, ...firmware, ...extra].map(shq).join(' ');
  const uefi = opts.firmware !== 'bios';

  // One shell function used by the three scripts: is this machine's QEMU (pid file + marker) alive?
  const running = `running() { P=$(cat ${shq(pidFile)} 2>/dev/null) && [ -n "$P" ] && tr '\\0' ' ' < /proc/$P/cmdline 2>/dev/null | grep -q -- ${shq(marker)}; }`;
  const scripts: MachineScripts = {
    alive: `${running}\nrunning\n`,
    start: `${running}
running && exit 0
set -e
rm -f ${shq(pidFile)}
${uefi ? `cp ${shq(QEMU_FILES.ovmfVars)} ${shq(vars)}` : ':'}
echo "power on (boot device: $RRC_BOOTDEV)"
if [ "$RRC_BOOTDEV" = pxe ]; then
  ${line(pxe)}
else
  ${line(disk)}
fi
`,
    stop: `${running}
running || exit 0
echo "power off (pid $P)"
kill -TERM "$P" 2>/dev/null || exit 0
i=0
while [ $i -lt 30 ]; do
  running || exit 0
  sleep 0.1; i=$((i+1))
done
kill -KILL "$P" 2>/dev/null
exit 0
`,
  };
  const sh = (body: string, env: NodeJS.ProcessEnv = {}): boolean => {
    try {
      execFileSync('sh', ['-c', body], { env: { ...process.env, ...env }, stdio: 'ignore', timeout: 15_000, killSignal: 'SIGKILL' });
      return true;
    } catch {
      return false;
    }
  };

  let killed = false;
  liveMarkers.add(marker);
  installExitHook();
  return {
    marker,
    dir,
    serialLog,
    scripts,
    start: (bootdev = 'pxe') => {
      if (!sh(scripts.start, { RRC_BOOTDEV: bootdev === 'pxe' ? 'pxe' : 'default' })) throw new Error(`QEMU (${opts.firmware}) did not start`);
    },
    isRunning: () => sh(scripts.alive),
    console: () => (existsSync(serialLog) ? readFileSync(serialLog, 'utf8').replace(/\x1b\[[0-9;?=]*[A-Za-z]/g, '').replace(/\r/g, '') : ''),
    kill: async () => {
      if (killed) return;
      killed = true;
      const deadline = Date.now() + 5000;
      for (;;) {
        const pids = pidsWith(`\0${marker}\0`);
        if (pids.length === 0) break;
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
        if (Date.now() > deadline) throw new Error(`QEMU ${marker} (pids ${pids.join(', ')}) did not die`);
        await delay(50);
      }
      liveMarkers.delete(marker);
      tmp.remove();
    },
  };
}
