/**
 * Boot progress from an IPMI System Event Log (SEL), as ipmitool prints it. Pure: text in,
 * records and a BootProgress out, so every record kind is unit-tested without a BMC.
 *
 * Two formats are read: the verbose blocks of `ipmitool -v sel elist` (what the driver runs:
 * they carry the raw event data, so the sensor-specific offset is exact) and the one-line
 * `sel elist` form (offset recovered from ipmitool's description text). Meanings follow the
 * IPMI v2.0 table "Sensor Type Codes and Data" (sensor-specific offsets):
 *
 * | sensor type | offset | event | BootProgress |
 * | 0x0f System Firmware | 0 error (POST), 1 hang | boot-failed |
 * | 0x0f System Firmware | 2 progress | booting |
 * | 0x1d System Boot / Restart Initiated | any | booting |
 * | 0x1e Boot Error | 0 no bootable media ... 4 timeout waiting for boot selection | boot-failed |
 * | 0x1f OS Boot | 0-6 "<device> boot completed" | os-running |
 * | 0x1f OS Boot | 7 installation started, 8 installation completed | booting |
 * | 0x1f OS Boot | 9 installation aborted, 10 installation failed | boot-failed |
 * | 0x20 OS Stop | 0 critical stop during OS load | boot-failed |
 * | 0x20 OS Stop | 1 run-time critical stop, 2 graceful stop | booting (see below) |
 * | 0x20 OS Stop | 3 graceful shutdown, 4 soft shutdown by PEF | off |
 * | 0x22 ACPI Power State | 0 S0/G0 working | booting |
 * | 0x22 ACPI Power State | 5/6 soft-off, 7 G3 mechanical off, 10 S5 by override | off |
 * | 0x09 Power Unit | 0 power off/down, 4 AC lost | off |
 * | 0x09 Power Unit | 1 power cycle | booting |
 *
 * A run-time critical stop (panic) or a graceful stop leaves the OS stopped, "awaiting reset"
 * in the spec's words: no OS runs and no boot failed, the host is between boots. We call that
 * `booting` (never `os-running`, which would keep the ladder from rebooting it). Anything else
 * (deassertions, OEM records, other sensors, "agent not responding") is ignored. The one-line
 * format cannot tell a firmware hang from progress when ipmitool names the step (it reads as
 * progress there); the verbose format is exact.
 */
import type { BootProgress } from '../core/signature.js';

export interface SelRecord {
  /** Record ID as printed (hex), for details and marks. */
  id: string;
  /** The BMC's timestamp text (its clock, not ours): only used to tell records apart. */
  timestamp: string;
  /** IPMI sensor type code, when the type is one we know. */
  sensorType?: number;
  sensorTypeName: string;
  /** Sensor-specific offset (0-15), when known. */
  offset?: number;
  asserted: boolean;
  description: string;
}

/** Where the last power action of ours left the SEL: only records after it count. */
export type SelMark = { empty: true } | { empty: false; id: string; timestamp: string; description: string };

export interface BootVerdict {
  progress: BootProgress;
  /** The record that decided, absent for `unknown`. */
  decidedBy?: SelRecord;
  /** Records newer than the mark (the ones that could count). */
  considered: number;
}

interface TypeRule {
  code: number;
  /** ipmitool's name for the type (it changed between versions). */
  name: RegExp;
  /** offset -> meaning; an offset missing here is ignored. */
  offsets: Record<number, BootProgress>;
  /** Description text -> offset, for the one-line format. First match wins. */
  texts: Array<[RegExp, number]>;
}

const RULES: TypeRule[] = [
  {
    code: 0x0f,
    name: /^System Firmware/i,
    offsets: { 0: 'boot-failed', 1: 'boot-failed', 2: 'booting' },
    // Error and hang texts name the failure (ed2), progress texts the step: classify by keyword.
    texts: [[/hang/i, 1], [/error|fail|not found|no (usable )?(system memory|video)|corrupt|mismatch|unrecoverable/i, 0], [/./, 2]],
  },
  {
    code: 0x1d,
    name: /^System Boot/i,
    offsets: { 0: 'booting', 1: 'booting', 2: 'booting', 3: 'booting', 4: 'booting', 5: 'booting', 6: 'booting', 7: 'booting' },
    texts: [[/./, 0]],
  },
  {
    code: 0x1e,
    name: /^Boot Error/i,
    offsets: { 0: 'boot-failed', 1: 'boot-failed', 2: 'boot-failed', 3: 'boot-failed', 4: 'boot-failed' },
    texts: [[/no bootable media/i, 0], [/non-bootable/i, 1], [/PXE server not found/i, 2], [/invalid boot sector/i, 3], [/timeout/i, 4]],
  },
  {
    code: 0x1f,
    name: /^OS Boot/i,
    offsets: {
      0: 'os-running', 1: 'os-running', 2: 'os-running', 3: 'os-running', 4: 'os-running', 5: 'os-running', 6: 'os-running',
      7: 'booting', 8: 'booting', 9: 'boot-failed', 10: 'boot-failed',
    },
    texts: [[/installation started/i, 7], [/installation completed/i, 8], [/installation aborted/i, 9], [/installation failed/i, 10], [/boot completed/i, 1]],
  },
  {
    code: 0x20,
    name: /^OS (Critical )?Stop/i,
    offsets: { 0: 'boot-failed', 1: 'booting', 2: 'booting', 3: 'off', 4: 'off' },
    texts: [[/during (system startup|OS load)/i, 0], [/run-?time critical stop/i, 1], [/graceful stop/i, 2], [/graceful shutdown/i, 3], [/soft shutdown/i, 4]],
  },
  {
    code: 0x22,
    name: /^System ACPI Power State/i,
    offsets: { 0: 'booting', 5: 'off', 6: 'off', 7: 'off', 10: 'off' },
    texts: [[/S0\/G0/i, 0], [/S5\/G2/i, 5], [/S4\/S5/i, 6], [/G3/i, 7], [/override/i, 10]],
  },
  {
    code: 0x09,
    name: /^Power Unit/i,
    offsets: { 0: 'off', 1: 'booting', 4: 'off' },
    texts: [[/power off|power down/i, 0], [/power cycle/i, 1], [/AC lost/i, 4]],
  },
];

function ruleFor(typeName: string): TypeRule | undefined {
  return RULES.find((r) => r.name.test(typeName.trim()));
}

/** Parses `ipmitool [-v] sel elist` output (either format, even mixed); unreadable parts are skipped. */
export function parseSel(text: string): SelRecord[] {
  return /SEL Record ID\s*:/i.test(text) ? parseVerbose(text) : parseLines(text);
}

function parseVerbose(text: string): SelRecord[] {
  const out: SelRecord[] = [];
  for (const block of text.split(/(?=^SEL Record ID\s*:)/im)) {
    const f = new Map<string, string>();
    for (const line of block.split('\n')) {
      const m = /^\s*([A-Za-z][A-Za-z ]*?)\s*:\s*(.*?)\s*$/.exec(line);
      if (m?.[1] && m[2] !== undefined && !f.has(m[1].toLowerCase())) f.set(m[1].toLowerCase(), m[2]);
    }
    const id = f.get('sel record id');
    const typeName = f.get('sensor type');
    const direction = f.get('event direction');
    if (!id || !/^[0-9a-f]+$/i.test(id) || !typeName || !direction) continue;
    // Only system event records (type 02); OEM records have other layouts.
    if (f.has('record type') && !/^0*2$/.test(f.get('record type') ?? '')) continue;
    const rule = ruleFor(typeName);
    const data = f.get('event data') ?? '';
    // Sensor-specific offsets mean nothing under a generic event type.
    const specific = /sensor-specific/i.test(f.get('event type') ?? 'sensor-specific');
    const offset = /^[0-9a-f]{2}/i.test(data) && specific ? parseInt(data.slice(0, 2), 16) & 0x0f : undefined;
    out.push({
      id: id.toLowerCase(),
      timestamp: f.get('timestamp') ?? '',
      ...(rule ? { sensorType: rule.code } : {}),
      sensorTypeName: typeName,
      ...(offset !== undefined ? { offset } : {}),
      asserted: /^assert/i.test(direction),
      description: f.get('description') ?? '',
    });
  }
  return out;
}

// `   9 | 12/02/2026 | 20:45:19 | OS Boot #0x01 | C: boot completed | Asserted`
function parseLines(text: string): SelRecord[] {
  const out: SelRecord[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split('|').map((s) => s.trim());
    const id = fields[0];
    if (fields.length < 6 || !id || !/^[0-9a-f]+$/i.test(id)) continue;
    const dir = fields.findIndex((s, i) => i >= 5 && /^(asserted|deasserted)$/i.test(s));
    if (dir < 0) continue;
    const sensor = fields[dir - 2] ?? '';
    const description = fields[dir - 1] ?? '';
    // The sensor field is "<type> <name or #0xNN>": the known type names are prefixes.
    const rule = ruleFor(sensor);
    const offset = rule?.texts.find(([re]) => re.test(description))?.[1];
    out.push({
      id: id.toLowerCase(),
      timestamp: fields.slice(1, dir - 2).join(' '),
      ...(rule ? { sensorType: rule.code } : {}),
      sensorTypeName: sensor,
      ...(offset !== undefined ? { offset } : {}),
      asserted: /^asserted$/i.test(fields[dir] ?? ''),
      description,
    });
  }
  return out;
}

/** What one record says about the boot, or undefined when it says nothing. */
export function meaningOf(r: SelRecord): BootProgress | undefined {
  if (!r.asserted || r.sensorType === undefined || r.offset === undefined) return undefined;
  return RULES.find((x) => x.code === r.sensorType)?.offsets[r.offset];
}

export function markOf(records: readonly SelRecord[]): SelMark {
  const last = records[records.length - 1];
  return last ? { empty: false, id: last.id, timestamp: last.timestamp, description: last.description } : { empty: true };
}

/**
 * Folds the log into one BootProgress: records are in log order (oldest first, as the BMC
 * lists them); only those after `mark` count, and the newest one with a meaning wins, so
 * anything older than the last power-on or boot start is overruled by it.
 */
export function foldBootProgress(records: readonly SelRecord[], mark?: SelMark): BootVerdict {
  let from = 0;
  if (mark && !mark.empty) {
    // Not found: the log was cleared or wrapped since the mark, so everything left is newer.
    for (let i = records.length - 1; i >= 0; i--) {
      const r = records[i];
      if (r && r.id === mark.id && r.timestamp === mark.timestamp && r.description === mark.description) {
        from = i + 1;
        break;
      }
    }
  }
  const recent = records.slice(from);
  for (let i = recent.length - 1; i >= 0; i--) {
    const r = recent[i];
    const progress = r ? meaningOf(r) : undefined;
    if (r && progress) return { progress, decidedBy: r, considered: recent.length };
  }
  return { progress: 'unknown', considered: recent.length };
}

/**
 * Marks shared by every IpmiPowerDriver of one controller (the prober has its own driver):
 * the SEL position at our last power on / cycle / reset, per BMC. In memory only: after a
 * controller restart the log alone decides.
 */
export class SelMarks {
  private readonly marks = new Map<string, SelMark>();
  get(bmcKey: string): SelMark | undefined {
    return this.marks.get(bmcKey);
  }
  set(bmcKey: string, mark: SelMark): void {
    this.marks.set(bmcKey, mark);
  }
}

export function describeRecord(r: SelRecord): string {
  return `SEL ${r.id}: ${r.sensorTypeName}: ${r.description}`;
}
