/** The Markdown section of a `--real` run, written from the same result as the JSON. */
import type { InjectionReport, RealBenchResult, TimeStats } from './real-bench.js';

const s1 = (x: number | null) => (x === null ? '-' : (Math.round(x * 10) / 10).toFixed(1));
const ts = (t: TimeStats) => (t.n === 0 ? '-' : `${s1(t.mean)} / ${s1(t.max)}`);

function pathCell(r: InjectionReport): string {
  // One line per incident: "target signature @rung: actions -> state".
  return r.real.lines.filter((l) => !l.startsWith('placement:')).join('<br>').replace(/\|/g, '\\|');
}

export function renderRealMarkdown(r: RealBenchResult, command: string): string {
  const L: string[] = [];
  L.push(`## Real lab replay: ${r.replayed} injections, seed ${r.seed}`, '');
  L.push(`Produced by the command below; every number is in \`crash-bench-real.json\` next to this file.`, '');
  L.push('```sh', command, '```', '');
  L.push(
    `The injections are the first ${r.replayed} the real lab can express among the first ${r.plan.scanned} of the sim bench's ` +
      `seeded plan (deck of ${r.plan.deckSize}, same seed and mix). Each ran in a fresh real lab (ipmi_sim BMCs, sshd, libvirt ` +
      `test:/// hypervisors, guest sshd + service processes, all on 127.0.0.1) in real time, then in the simulator with the same ` +
      `rack, policy and fault script on a virtual clock. Wall time ${r.wallSeconds} s.`,
    '',
  );
  L.push(
    `**Agreement: ${r.agree} of ${r.replayed}** (${(r.agreement * 100).toFixed(1)} %)` +
      (r.retried > 0 ? `, ${r.retried} of them run a second time after an overloaded attempt (below)` : '') +
      (r.disagree > 0 ? `; ${r.disagree} disagreement(s), listed below with both paths.` : '.') +
      (r.leftoverProcesses > 0 ? ` **${r.leftoverProcesses} lab processes were still running at the end.**` : ''),
    '',
  );
  L.push(
    'Compared per injection: every incident (target, failure signature, entry rung, each action with its outcome, how it ended), ' +
      "every target's final phase, and where every VM runs at the end. Times are from the injection: *service back* = the last " +
      'affected VM healthy again in the controller, *all healthy* = every target healthy with no incident open (host repair included).',
    '',
  );

  L.push('| # | deck | class | target | agree | controller path (real lab) | service back real / sim (s) | all healthy real / sim (s) |');
  L.push('| ---: | ---: | --- | --- | --- | --- | ---: | ---: |');
  for (const [k, i] of r.injections.entries()) {
    L.push(
      `| ${k + 1} | ${i.index} | ${i.cls}${i.variant !== 'single' ? ` (${i.variant})` : ''} | ${i.targets.join(', ')} | ${i.agree ? 'yes' : '**no**'}${i.attempts > 1 ? ` (attempt ${i.attempts})` : ''} | ` +
        `${pathCell(i)} | ${s1(i.real.serviceSeconds)} / ${s1(i.sim.serviceSeconds)} | ${s1(i.real.recoveredSeconds)} / ${s1(i.sim.recoveredSeconds)} |`,
    );
  }
  L.push('');

  L.push('### Per class (seconds, mean / max)', '');
  L.push('| class | n | agree | service back, real | service back, sim | all healthy, real | all healthy, sim |');
  L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const c of r.classes) {
    L.push(`| ${c.name} | ${c.n} | ${c.agree} | ${ts(c.real.service)} | ${ts(c.sim.service)} | ${ts(c.real.recovered)} | ${ts(c.sim.recovered)} |`);
  }
  const o = r.overall;
  L.push(`| **all** | ${r.replayed} | ${r.agree} | ${ts(o.real.service)} | ${ts(o.sim.service)} | ${ts(o.real.recovered)} | ${ts(o.sim.recovered)} |`);
  L.push('');

  const retried = r.injections.filter((i) => i.earlierAttempts.length > 0);
  if (retried.length > 0) {
    L.push('### Run again after an overloaded lab', '');
    L.push(
      'An attempt that disagreed while some probe saw a target down that the lab had up the whole time (BMC, sshd, ' +
        'hypervisor, guest and service all there: the machine was too loaded to answer within the 2 s check deadlines), ' +
        'or whose lab could not even settle healthy before the injection, was run once more. The earlier attempt:',
      '',
    );
    for (const i of retried) {
      for (const a of i.earlierAttempts) {
        L.push(`**#${i.index} ${i.cls} on ${i.targets.join(', ')}**, load average ${a.load?.loadAverage1m ?? '?'}, event-loop delay up to ${a.load?.eventLoopMaxMs ?? '?'} ms:`, '');
        if (a.labError) L.push(`- lab: ${a.labError}`);
        for (const d of a.differences) L.push(`- ${d}`);
        L.push('', 'False observations (first ones):', '```', ...a.falseObservations.slice(0, 6), '```', '');
      }
    }
  }

  const bad = r.injections.filter((i) => !i.agree);
  if (bad.length > 0) {
    L.push('### Disagreements', '');
    for (const i of bad) {
      L.push(`**#${i.index} ${i.cls} on ${i.targets.join(', ')}** (${i.faults.join('; ')})`, '');
      for (const d of i.differences) L.push(`- ${d}`);
      if (i.real.falseObservations.length > 0) {
        L.push(`- the lab was overloaded in this attempt: ${i.real.falseObservations.length} probe(s) saw down what the lab had up, e.g. ${i.real.falseObservations[0]}`);
      }
      L.push('', 'Real lab (path, then the controller events, seconds after the injection):', '```');
      L.push(...i.real.lines, ...(i.real.error ? [`error: ${i.real.error}`] : []), '--', ...i.real.trace, '```');
      L.push('Simulator:', '```', ...i.sim.lines, ...(i.sim.error ? [`error: ${i.sim.error}`] : []), '--', ...i.sim.trace, '```', '');
    }
  }

  const stale = r.injections.flatMap((i) => i.real.staleObservations.map((o) => `#${i.index} ${i.cls}: ${o}`));
  if (stale.length > 0) {
    L.push('### Probes that failed fast on a target the lab had up', '');
    L.push(
      `${stale.length} probe(s) reported a check down, quickly (no deadline hit), while the lab had the target up: not load, ` +
        'something real the simulator does not model (no retry for these; listed for diagnosis). The first ones:',
      '',
      '```',
      ...stale.slice(0, 5),
      '```',
      '',
    );
  }

  L.push('### Classes the lab expresses, and how', '');
  for (const c of r.covered) L.push(`- \`${c.name}\`: ${c.how}.`);
  L.push('', '### Classes left out, and why', '');
  for (const c of r.skipped) L.push(`- \`${c.name}\` (${c.count} in the scanned plan): ${c.reason}.`);
  for (const v of r.skippedVariants) L.push(`- deck #${v.index} \`${v.name}\` (${v.variant}): ${v.reason}.`);
  L.push('');

  const p = r.setup;
  L.push('### Setup (both sides)', '');
  L.push(
    `Probes every ${p.probes.intervalMs / 1000} s (deadline ${p.probes.timeoutMs / 1000} s); policy failAfter ${p.policy.failAfter}, ` +
      `recoverAfter ${p.policy.recoverAfter}, rung timeouts 15-20 s, boot grace ${p.policy.blockedGraceSeconds} s, no self-fencing; ` +
      `lab machines: host boot ${p.labTimingsMs.hostBootMs / 1000} s, clean shutdown ${p.labTimingsMs.hostShutdownMs / 1000} s, guest boot ` +
      `${p.labTimingsMs.guestBootMs / 1000} s, libvirtd restart ${p.labTimingsMs.hypervisorRestartMs / 1000} s (the simulator gets the same ` +
      `as constants); an episode ends after ${p.episodeLimitSeconds} s at most.`,
    '',
  );
  return `${L.join('\n')}\n`;
}
