/**
 * Where each of the simulator's timing constants comes from (issue 10: "the timing constants that
 * were chosen to match the talk are labelled as calibration"), and, where the real lab measures the
 * same step (bench/lab-steps writes bench/results/lab-steps.json), that measurement beside it.
 *
 * - `calibration`: chosen so that a total lands near one of the talk's numbers. Results that
 *   depend on it are a consequence of the choice, not a finding.
 * - `estimate`: a typical value for the hardware or software, with its source.
 * - `lab`: a step the real lab (bench --real) also runs; the lab's own constant.
 */
import { DEFAULT_LATENCY } from '../src/env/sim/index.js';
import { DEFAULT_TIMINGS, type Distribution, type TimingName } from '../src/env/sim/timing.js';

export type CalibrationKind = 'calibration' | 'estimate';

export interface CalibrationEntry {
  constant: string;
  value: string;
  kind: CalibrationKind;
  source: string;
  /** Name of the lab step (lab-steps.json) that measures the same thing, if any. */
  labStep?: string;
}

export interface LabStep {
  name: string;
  n: number;
  mean: number;
  sd: number;
  p50: number;
  max: number;
  unit: string;
  what: string;
  skipped?: string;
}

export interface LabSteps {
  date?: string;
  command?: string;
  machine?: Record<string, unknown>;
  steps: LabStep[];
}

function show(d: Distribution): string {
  switch (d.dist) {
    case 'constant':
      return `${d.value} s`;
    case 'normal':
      return `normal(${d.mean} s, sd ${d.sd} s)`;
    case 'lognormal':
      return `lognormal(mean ${d.mean} s, sd ${d.sd} s)`;
    case 'uniform':
      return `uniform(${d.min}-${d.max} s)`;
  }
}

const SOURCES: Record<TimingName, Omit<CalibrationEntry, 'constant' | 'value'>> = {
  hostPostSeconds: { kind: 'estimate', source: 'rack server POST (DIMM training, RAID and NIC option ROMs): about a minute on current 2-socket servers' },
  hostBootSeconds: {
    kind: 'calibration',
    source: "chosen so a host reboot (detection + hysteresis + shutdown + POST + boot) lands near the talk's 181 s (sigma 10 s) for overload / shutdown",
  },
  hostShutdownSeconds: { kind: 'estimate', source: 'clean OS shutdown with guests stopped: 10-20 s' },
  vmBootSeconds: {
    kind: 'estimate',
    source: 'general-purpose Linux guest until its service answers; the talk\'s Xen guests rebooted in 5-10 s',
    labStep: 'guest-boot-direct-kernel',
  },
  vmShutdownSeconds: { kind: 'estimate', source: 'guest ACPI shutdown' },
  hypervisorRestartSeconds: { kind: 'estimate', source: '`systemctl restart libvirtd` until it accepts connections (the real lab restarts it in about 1 s)' },
  serviceRestartSeconds: { kind: 'estimate', source: 'a service\'s restart command until its port answers' },
  dhcpSeconds: { kind: 'estimate', source: 'DHCP exchange including the NIC link coming up', labStep: 'qemu-pxe-to-dhcp-ack' },
  tftpSeconds: { kind: 'estimate', source: 'network boot program over TFTP (bench/pxe measures our TFTP server)', labStep: 'qemu-uefi-pxe-tftp-ipxe-efi' },
  httpSeconds: { kind: 'estimate', source: 'kernel + initrd over HTTP: about 100 MB on a 1 Gb/s management network plus unpacking' },
  kickstartSeconds: { kind: 'estimate', source: 'installer start until it has fetched its kickstart' },
  installSeconds: {
    kind: 'calibration',
    source: "chosen so a PXE reinstall (POST + DHCP + TFTP + HTTP + install + reboot) lands near the talk's 542 s (sigma 17 s) for `rm /boot`",
  },
};

/** Every timing of the simulated world and the controller's sim latencies, labelled. */
export function calibrationTable(): CalibrationEntry[] {
  const rows: CalibrationEntry[] = (Object.keys(DEFAULT_TIMINGS) as TimingName[]).map((name) => ({
    constant: `sim timing ${name}`,
    value: show(DEFAULT_TIMINGS[name]),
    ...SOURCES[name],
  }));
  const mean = (d: Distribution) => (d.dist === 'constant' ? d.value : d.dist === 'uniform' ? (d.min + d.max) / 2 : d.mean);
  const pxe = (['dhcpSeconds', 'tftpSeconds', 'httpSeconds', 'kickstartSeconds'] as const).reduce((n, k) => n + mean(DEFAULT_TIMINGS[k]), 0);
  rows.push({
    constant: 'sim PXE phases dhcp + tftp + http + kickstart',
    value: `${pxe} s (sum of means)`,
    kind: 'estimate',
    source: 'the four PXE timings above, from power-on self test done to the installer holding its kickstart',
    labStep: 'qemu-pxe-to-install-script',
  });
  rows.push({
    constant: 'sim latency bmcLatencySeconds',
    value: `${DEFAULT_LATENCY.bmcLatencySeconds} s`,
    kind: 'estimate',
    source: 'one IPMI-over-LAN command (RMCP+ session set-up and the command) to a BMC on the management network',
    labStep: 'ipmitool-power-status',
  });
  return rows;
}

/** The lab steps a calibration entry can be compared with (absent or skipped steps left out). */
export function labComparison(table: readonly CalibrationEntry[], lab: LabSteps | null): { constant: string; value: string; step: LabStep }[] {
  if (!lab) return [];
  const out: { constant: string; value: string; step: LabStep }[] = [];
  for (const row of table) {
    const step = row.labStep ? lab.steps.find((s) => s.name === row.labStep && !s.skipped) : undefined;
    if (step) out.push({ constant: row.constant, value: row.value, step });
  }
  return out;
}

export interface CalibrationSection {
  table: CalibrationEntry[];
  /** Simulator constants beside the real lab's measurement of the same step (bench/results/lab-steps.json). */
  lab: { constant: string; value: string; step: LabStep }[];
  labFile: string | null;
}

/** The calibration table with the lab's measurements, from `labFile` when it exists and parses. */
export function calibrationSection(labFile: string, read: (file: string) => string | null): CalibrationSection {
  const table = calibrationTable();
  const text = read(labFile);
  let lab: LabSteps | null = null;
  if (text !== null) {
    try {
      const parsed = JSON.parse(text) as Partial<LabSteps>;
      if (Array.isArray(parsed.steps)) lab = parsed as LabSteps;
    } catch {
      lab = null; // a broken file is reported as absent, not guessed at
    }
  }
  return { table, lab: labComparison(table, lab), labFile: lab ? labFile : null };
}
