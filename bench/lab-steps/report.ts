/**
 * lab-steps.json and its Markdown (pure; pinned by test/unit/bench-lab-steps/report.test.ts).
 * bench/calibration.ts reads the JSON's `steps` by name and sets each beside the simulator
 * constant it stands for; this file only states what was measured, how, and on what machine.
 */
import type { LabStepResult } from './step-result.js';

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  kernel: string;
  node: string;
  /** 1, 5 and 15 minute load averages when the run started and ended. */
  loadAvgStart: number[];
  loadAvgEnd: number[];
  /** /dev/kvm can be opened read-write here. */
  kvm: boolean;
  /** What the lab's QEMU machines ran on: the lab (test/lab/qemu) always uses TCG, as CI does. */
  qemuAccel: 'tcg';
}

export interface LabStepsReport {
  schema: 1;
  date: string;
  command: string;
  machine: MachineInfo;
  /** Runs asked for per step. */
  runs: number;
  steps: LabStepResult[];
}

const num = (x: number): string => (x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderMarkdown(r: LabStepsReport): string {
  const m = r.machine;
  const lines = [
    '# Lab steps: what the simulator assumes, measured in the real lab',
    '',
    `${r.date}, \`${r.command}\`. ${m.nproc} cores (${m.cpuModel}), Linux ${m.kernel}, Node ${m.node}. ` +
      `Load average (1/5/15 min) ${m.loadAvgStart.join(' / ')} at the start, ${m.loadAvgEnd.join(' / ')} at the end` +
      (m.loadAvgStart[0]! > m.nproc ? ': the machine was shared and loaded, so these are upper bounds.' : '.'),
    `QEMU ran with ${m.qemuAccel.toUpperCase()} (software emulation, as in CI); KVM ${m.kvm ? 'is available on this machine but was not used' : 'is not available here'}.`,
    '',
    '| step | n | mean (s) | sd (s) | p50 (s) | max (s) | what was timed |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const s of r.steps) {
    if (s.skipped) {
      lines.push(`| ${s.name} | 0 | - | - | - | - | skipped: ${cell(s.skipped)} |`);
      continue;
    }
    lines.push(`| ${s.name} | ${s.n} | ${num(s.mean)} | ${num(s.sd)} | ${num(s.p50)} | ${num(s.max)} | ${cell(s.what)} |`);
  }
  const notes = r.steps.filter((s) => s.note || s.stoppedEarly || s.failures?.length);
  if (notes.length) {
    lines.push('', 'Notes:', '');
    for (const s of notes) {
      const parts = [
        s.note,
        s.stoppedEarly ? `stopped early: ${s.stoppedEarly}` : undefined,
        s.failures?.length ? `${s.failures.length} failed run(s), first: ${s.failures[0]}` : undefined,
      ].filter(Boolean);
      lines.push(`- **${s.name}**: ${parts.join('; ')}`);
    }
  }
  lines.push('', 'Raw samples and the machine are in lab-steps.json; bench/lab-steps/README.md says how each step is run.', '');
  return lines.join('\n');
}
