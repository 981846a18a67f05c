/** Markdown for the calibration section (calibration.ts), shared by the single- and multi-seed reports. */
import type { CalibrationSection } from './calibration.js';

const n2 = (x: number) => (Math.round(x * 100) / 100).toFixed(2);

export function renderCalibration(L: string[], c: CalibrationSection | undefined): void {
  if (!c) return;
  L.push('## Where the simulator\'s constants come from', '');
  L.push(
    '*calibration*: chosen so that a total lands near one of the talk\'s numbers, so results that depend on it (host repair after a ' +
      'reboot or a reinstall, the reference strategy\'s times) follow from the choice and are not findings; *estimate*: a typical value, ' +
      'with its source. Service recovery of ours depends mostly on detection, the guest boot and the controller, not on the calibrated ones.',
    '',
  );
  L.push('| constant | value | kind | source |', '| --- | --- | --- | --- |');
  for (const r of c.table) L.push(`| ${r.constant} | ${r.value} | ${r.kind === 'calibration' ? '**calibration**' : r.kind} | ${r.source} |`);
  L.push('');
  if (c.lab.length === 0) {
    L.push('No real-lab measurement of these steps was found (`npx tsx bench/lab-steps/run.ts` writes bench/results/lab-steps.json).', '');
    return;
  }
  L.push(
    `The same steps measured in the real lab on this machine (\`${c.labFile ? 'bench/results/lab-steps.json' : '-'}\`; test peers, not rack ` +
      'hardware: a tiny busybox guest under QEMU TCG, ipmi_sim on loopback), beside the simulator\'s constant:',
    '',
  );
  L.push('| constant | simulator | lab step | lab mean (s) | lab max (s) | n | what the lab timed |', '| --- | --- | --- | ---: | ---: | ---: | --- |');
  for (const x of c.lab) L.push(`| ${x.constant} | ${x.value} | ${x.step.name} | ${n2(x.step.mean)} | ${n2(x.step.max)} | ${x.step.n} | ${x.step.what} |`);
  L.push('');
}
