/** lab-steps.json's Markdown and the CLI's group list (bench/lab-steps/report.ts, run.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderMarkdown, type LabStepsReport } from '../../../bench/lab-steps/report.js';
import { GROUPS, parseGroups } from '../../../bench/lab-steps/run.js';
import { skippedStep, summarizeStep } from '../../../bench/lab-steps/step-result.js';

function report(loadAvgStart = [0.5, 0.4, 0.3]): LabStepsReport {
  return {
    schema: 1,
    date: '2026-12-03T00:00:00.000Z',
    command: 'npx tsx bench/lab-steps/run.ts --runs 2',
    machine: { nproc: 2, cpuModel: 'Test CPU', kernel: '6.1.0', node: 'v20.19.0', loadAvgStart, loadAvgEnd: [1, 1, 1], kvm: false, qemuAccel: 'tcg' },
    runs: 2,
    steps: [
      summarizeStep({ name: 'ipmitool-power-status', what: 'one call | with a pipe' }, [0.07, 0.08]),
      { ...summarizeStep({ name: 'guest-boot-direct-kernel', what: 'boot', note: 'TCG, no KVM' }, [7.6, 8.1], ['one hung']) },
      skippedStep({ name: 'qemu-pxe-to-install-script', what: 'pxe' }, 'network namespace tests need root'),
    ],
  };
}

describe('lab-steps Markdown', () => {
  it('one table row per step, skipped steps with their reason, notes and failures below', () => {
    const md = renderMarkdown(report());
    assert.match(md, /\| ipmitool-power-status \| 2 \| 0\.075 \| 0\.007 \| 0\.070 \| 0\.080 \| one call \\\| with a pipe \|/);
    assert.match(md, /\| guest-boot-direct-kernel \| 2 \| 7\.85 \| 0\.354 \| 7\.60 \| 8\.10 \| boot \|/);
    assert.match(md, /\| qemu-pxe-to-install-script \| 0 \| - \| - \| - \| - \| skipped: network namespace tests need root \|/);
    assert.match(md, /- \*\*guest-boot-direct-kernel\*\*: TCG, no KVM; 1 failed run\(s\), first: one hung/);
    assert.match(md, /QEMU ran with TCG .*KVM is not available here/);
    assert.doesNotMatch(md, /upper bounds/, 'an idle machine is not called loaded');
  });

  it('says so when the machine was loaded (1-minute load above the core count)', () => {
    assert.match(renderMarkdown(report([9, 8, 7])), /shared and loaded, so these are upper bounds/);
  });
});

describe('--steps', () => {
  it('defaults to every group in report order; keeps that order whatever the order asked', () => {
    assert.deepEqual(parseGroups(undefined), [...GROUPS]);
    assert.deepEqual(parseGroups('libvirt,ipmi'), ['ipmi', 'libvirt']);
  });

  it('refuses an unknown group, naming the known ones', () => {
    assert.throws(() => parseGroups('ipmi,kvm'), /unknown group\(s\) kvm; known: ipmi, pxe, uefi-pxe, guest, libvirt/);
    assert.throws(() => parseGroups(','), /unknown group/);
  });
});
