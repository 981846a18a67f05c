/**
 * Measures, in the real lab on this machine, the steps the crash simulator's constants stand for
 * (issue 10, calibration): ipmitool latency and a power cycle against ipmi_sim, a QEMU PXE boot to
 * the install script over our own boot services, the boot of the test guest, a libvirt domain
 * start. Writes <out>/lab-steps.json (read by bench/calibration.ts) and <out>/lab-steps.md.
 *
 *   nice npx tsx bench/lab-steps/run.ts [--runs 5] [--out bench/results] [--steps ipmi,pxe,...]
 *
 * Root is needed for the PXE steps (network namespaces); without it they are skipped with the reason.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { measureGuestBootSteps } from './guest-boot-step.js';
import { measureIpmiSteps } from './ipmi-steps.js';
import { measureLibvirtStep } from './libvirt-step.js';
import { loadAvgNow, machineInfo } from './machine.js';
import { measurePxeSteps } from './pxe-step.js';
import { renderMarkdown, type LabStepsReport } from './report.js';
import type { RepeatOptions } from './repeat.js';
import type { LabStepResult } from './step-result.js';
import { runAsScript, writeReport } from '../script-io.js';

/** Step groups, in the order they run and appear in the report. */
export const GROUPS = ['ipmi', 'pxe', 'uefi-pxe', 'guest', 'libvirt'] as const;
export type Group = (typeof GROUPS)[number];

export const USAGE = `usage: nice npx tsx bench/lab-steps/run.ts [options]

  --runs <n>      timed runs per step (default 5, at most 50)
  --out <dir>     where lab-steps.json and lab-steps.md go (default bench/results)
  --steps <list>  comma-separated groups to run (default all): ${GROUPS.join(', ')}
  --budget <s>    time budget per group: no run starts after it (default 600)
  -h, --help      this text`;

function int(name: string, v: string | undefined, fallback: number, max: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be an integer in 1..${max}, not "${v}"`);
  return n;
}

export function parseGroups(v: string | undefined): Group[] {
  if (v === undefined) return [...GROUPS];
  const asked = v.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = asked.filter((g) => !(GROUPS as readonly string[]).includes(g));
  if (unknown.length || asked.length === 0) throw new Error(`--steps: unknown group(s) ${unknown.join(', ') || '(none)'}; known: ${GROUPS.join(', ')}`);
  return GROUPS.filter((g) => asked.includes(g));
}

async function runGroup(group: Group, opts: RepeatOptions): Promise<LabStepResult[]> {
  switch (group) {
    case 'ipmi':
      return measureIpmiSteps(opts);
    case 'pxe':
      return measurePxeSteps('bios', opts);
    case 'uefi-pxe':
      return measurePxeSteps('uefi-native', opts);
    case 'guest':
      return measureGuestBootSteps(opts);
    case 'libvirt':
      return [await measureLibvirtStep(opts)];
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' }, out: { type: 'string' }, steps: { type: 'string' }, budget: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const runs = int('runs', values.runs, 5, 50);
  const budgetMs = int('budget', values.budget, 600, 3600) * 1000;
  const groups = parseGroups(values.steps);
  const out = resolve(values.out ?? 'bench/results');
  const log = (s: string) => console.error(s);
  // Ctrl-C / SIGTERM: exit through process.exit so the lab's exit hooks kill QEMU and the peers.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

  const loadAvgStart = loadAvgNow();
  const steps: LabStepResult[] = [];
  for (const group of groups) {
    log(`--- ${group} (load ${loadAvgNow().join(' ')})`);
    for (const s of await runGroup(group, { runs, budgetMs, log })) {
      log(s.skipped ? `${s.name}: skipped: ${s.skipped}` : `${s.name}: n ${s.n}, mean ${s.mean} s, p50 ${s.p50} s, max ${s.max} s`);
      steps.push(s);
    }
  }
  const report: LabStepsReport = {
    schema: 1,
    date: new Date().toISOString(),
    command: `npx tsx bench/lab-steps/run.ts ${argv.join(' ')}`.trim(),
    machine: machineInfo(loadAvgStart),
    runs,
    steps,
  };
  writeReport(report, renderMarkdown(report), { json: join(out, 'lab-steps.json'), md: join(out, 'lab-steps.md') }, log);
  return 0;
}

runAsScript(import.meta.url, main);
