/**
 * `--real` end to end, real peers: two injections of quick classes (a dead service, a crashed
 * hypervisor) drawn from the seeded plan, each replayed in a fresh real lab (ipmi_sim, sshd,
 * libvirt test:///, guest sshd + service processes, all on 127.0.0.1) and in the simulator. The
 * controller's paths must agree (exit code 0), the JSON and Markdown must have their shape, and
 * no process the lab started may outlive the run.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { benchMain } from '../../../bench/crash-bench.js';
import type { RealBenchResult } from '../../../bench/real/real-bench.js';
import { makeTempDir } from '../../lab/peers/common.js';

const tmp = makeTempDir('real-bench');
after(() => tmp.remove());

/** Children of this process (the lab's peers are started by it), without `ps` itself and tsx's esbuild service. */
function children(): string[] {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.trim()).filter((l) => l && !/\b(ps|esbuild)$/.test(l));
}

test('--real 2 (vm-service, hypervisor-crash): real and sim paths agree; JSON and Markdown shape; no process left', async (t) => {
  const mix = join(tmp.dir, 'mix.json');
  writeFileSync(mix, JSON.stringify({ 'vm-service': 1, 'hypervisor-crash': 1 }));
  const before = children();
  const out: string[] = [];
  const err: string[] = [];
  const started = Date.now();
  const outcome = await benchMain(['--real', '2', '--seed', '6', '--mix', mix, '--out', tmp.dir], {
    out: (s) => void out.push(s),
    err: (s) => void err.push(s),
    tty: false,
  });
  const wall = (Date.now() - started) / 1000;
  const r = JSON.parse(readFileSync(join(tmp.dir, 'crash-bench-real.json'), 'utf8')) as RealBenchResult;
  const why = `${err.join('')}\n${JSON.stringify(r.injections.map((i) => ({ cls: i.cls, differences: i.differences, real: i.real.trace, sim: i.sim.trace })), null, 1)}`;
  assert.equal(outcome.code, 0, why);

  // Shape of the result.
  for (const k of ['mode', 'seed', 'requested', 'replayed', 'agree', 'disagree', 'agreement', 'retried', 'wallSeconds', 'plan', 'classes', 'overall', 'covered', 'skipped', 'skippedVariants', 'injections', 'setup', 'leftoverProcesses']) {
    assert.ok(k in r, `result has ${k}`);
  }
  assert.equal(r.mode, 'real');
  assert.equal(r.seed, 6);
  assert.deepEqual([r.requested, r.replayed, r.agree, r.disagree, r.agreement], [2, 2, 2, 0, 1]);
  assert.equal(r.leftoverProcesses, 0);
  assert.deepEqual(r.covered.map((c) => c.name).sort(), ['correlated', 'host-hang', 'host-overload', 'host-power-loss', 'host-shutdown', 'hypervisor-crash', 'vm-hang', 'vm-panic', 'vm-service']);
  assert.deepEqual(r.skipped.map((c) => c.name), ['host-destructive', 'host-partition', 'host-and-bmc-dead', 'host-flapping', 'controller-partition', 'peer-reachable-partition']);
  assert.ok(r.skipped.every((c) => c.reason.length > 20 && c.count === 0));
  assert.deepEqual(r.injections.map((i) => i.cls).sort(), ['hypervisor-crash', 'vm-service']);
  for (const i of r.injections) {
    assert.ok(i.agree && i.differences.length === 0, why);
    for (const side of [i.real, i.sim]) {
      assert.equal(side.completed, true);
      assert.equal(side.error, null);
      assert.ok(side.serviceSeconds !== null && side.serviceSeconds > 0 && side.serviceSeconds < 60, `service back in ${side.serviceSeconds} s`);
      assert.ok(side.recoveredSeconds !== null && side.recoveredSeconds >= side.serviceSeconds - 0.001);
      assert.ok(Object.values(side.path.finalPhases).every((p) => p === 'healthy'));
    }
    assert.deepEqual(i.real.path, i.sim.path);
    assert.ok(i.real.wall && i.real.wall.episode > 0);
    // What the controller did, in both: the evidence's rung, one action that worked.
    const [incident, ...others] = i.real.path.incidents;
    assert.equal(others.length, 0, why);
    if (i.cls === 'vm-service') {
      assert.equal(incident?.signature, 'vm-service-dead');
      assert.ok(['service-restart ok', 'vm-reboot ok'].includes(`${incident?.actions[0]?.kind} ${incident?.actions[0]?.outcome}`), why);
    } else {
      assert.equal(incident?.signature, 'hypervisor-down');
      assert.equal(incident?.entryRung, 3);
      assert.deepEqual(incident?.actions, [{ kind: 'hypervisor-restart', outcome: 'ok' }]);
    }
    assert.equal(incident?.state, 'resolved');
  }
  for (const c of r.classes) assert.ok(c.n === 1 && c.agree === 1 && c.real.service.n === 1 && c.sim.service.n === 1);

  const md = readFileSync(join(tmp.dir, 'crash-bench-real.md'), 'utf8');
  assert.match(md, /^## Real lab replay: 2 injections, seed 6/);
  assert.match(md, /\*\*Agreement: 2 of 2\*\*/);
  assert.match(md, /### Classes left out, and why/);
  assert.match(out.join(''), /bench --real: 2 injections \(seed 6\) .* 2 agree, 0 disagree/);

  assert.deepEqual(children(), before, 'every process the lab started is gone');
  t.diagnostic(`wall ${wall.toFixed(1)} s; ${r.injections.map((i) => `${i.cls}: service back real ${i.real.serviceSeconds} s / sim ${i.sim.serviceSeconds} s`).join('; ')}`);
});

test('--real: usage errors exit 2 before anything starts', async () => {
  const err: string[] = [];
  const io = { out: () => undefined, err: (s: string) => void err.push(s), tty: false };
  assert.equal((await benchMain(['--real', '0'], io)).code, 2);
  assert.equal((await benchMain(['--real', 'x'], io)).code, 2);
  assert.equal((await benchMain(['--real', '1', '--scale'], io)).code, 2);
  assert.match(err.join(''), /--real/);
});
