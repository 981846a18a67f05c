/**
 * `3rc request ...` and `3rc catalogue list`: the real launcher as a child process against the
 * real API, controller and request service on the simulated rack. The rack's virtual clock is
 * pumped (1 s every 20 ms) while the children run, so a --wait sees the machine come up.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, type ApiApp } from '../../../src/api/app.js';
import { tokenFor } from '../../unit/api/auth-helper.js';
import { run, setCliToken } from '../../unit/cli/run-cli.js';
import { lendingRig, type LendingRig } from '../../unit/on-demand/lending-rig.js';

describe('3rc request (CLI)', () => {
  let rig: LendingRig;
  let app: ApiApp;
  let api: string;
  let pump: NodeJS.Timeout | null = null;
  let pumping = false;

  before(async () => {
    rig = await lendingRig();
    app = buildApp({ controller: rig.rack.controller, requests: rig.service, now: () => rig.rack.clock.now() });
    api = await app.listen({ host: '127.0.0.1', port: 0 });
    setCliToken(await tokenFor(rig.rack.store, 'viewer', 'alice'));
    pump = setInterval(() => {
      if (pumping) return;
      pumping = true;
      void rig.rack.step(1000).finally(() => (pumping = false));
    }, 20);
  });
  after(async () => {
    if (pump) clearInterval(pump);
    while (pumping) await new Promise((r) => setTimeout(r, 10));
    setCliToken(undefined);
    await app.close();
    await rig.stop();
  });

  it('catalogue list shows the OS and middleware', async () => {
    const r = await run(['catalogue', 'list'], api);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^debian-12\s+image \(VM\)/m);
    assert.match(r.stdout, /^alma-9\s+install \(PXE, --physical\)/m);
    assert.match(r.stdout, /^htcondor\s+htcondor/m);
  });

  it('bad sizes, durations, OS or middleware: one line, exit 2, nothing asked', async () => {
    const base = ['request', 'create', '--cores', '2', '--ram', '4G', '--disk', '20G', '--os', 'debian-12', '--for', '1h'];
    const cases: Array<[string[], RegExp]> = [
      [['--ram', '4'], /^3rc: RRC_ERR_VALIDATION: --ram: "4" is not a size: use a number and a unit, e\.g\. 512M, 8G, 200G, 1T\n$/],
      [['--for', '6x'], /^3rc: RRC_ERR_VALIDATION: --for: "6x" is not a duration: .*units s, m, h, d\)\n$/],
      [['--cores', 'two'], /^3rc: RRC_ERR_VALIDATION: --cores: must be a whole number of cores, at least 1\n$/],
      [['--os', 'windows'], /^3rc: RRC_ERR_VALIDATION: unknown OS "windows"; valid: debian-12, alma-9\n$/],
      [['--middleware', 'htcondor,root'], /^3rc: RRC_ERR_VALIDATION: unknown middleware "root"; valid: htcondor, cvmfs\n$/],
    ];
    for (const [over, want] of cases) {
      const args = [...base];
      for (let i = 0; i < over.length; i += 2) {
        const at = args.indexOf(over[i] as string);
        if (at >= 0) args[at + 1] = over[i + 1] as string;
        else args.push(over[i] as string, over[i + 1] as string);
      }
      const r = await run(args, api);
      assert.equal(r.code, 2, `${over.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, want);
    }
    assert.equal((await rig.rack.store.listRequests()).length, 0);
    const ext = await run(['request', 'extend', 'r-x', '--by', '2'], api);
    assert.equal(ext.code, 2);
  });

  it('create --wait (plain lines off a terminal), list, show with its timeline, extend, release; quota refusal exits 1', async () => {
    const r = await run(['request', 'create', '--cores', '4', '--ram', '8G', '--disk', '200G', '--os', 'debian-12', '--middleware', 'htcondor,cvmfs', '--for', '6h', '--wait'], api);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^request (r-\d+): placing on hv\d$/m);
    assert.match(r.stdout, /^r-\d+: (placing|provisioning) - /m);
    assert.match(r.stdout, /^r-\d+: ready - provisioning -> ready/m);
    assert.match(r.stdout, /^state:\s+ready$/m);
    assert.match(r.stdout, /^expires:\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/m);
    assert.doesNotMatch(r.stdout, /\r/, 'no carriage returns off a terminal');
    const id = /^request:\s+(\S+)$/m.exec(r.stdout)?.[1] as string;

    const list = await run(['request', 'list', '--json'], api);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual((JSON.parse(list.stdout) as Array<{ id: string; state: string }>).map((x) => `${x.id}:${x.state}`), [`${id}:ready`]);

    const show = await run(['request', 'show', id], api);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /Timeline:/);
    assert.match(show.stdout, /created\s+asked by alice for alice: 4 cores, 8G RAM, 200G disk, debian-12 \+ htcondor, cvmfs for 6h/);

    const ext = await run(['request', 'extend', id, '--by', '2h'], api);
    assert.equal(ext.code, 0, ext.stderr);
    assert.match(ext.stdout, new RegExp(`^request ${id}: ends \\d{4}-`));

    const quota = await run(['request', 'create', '--cores', '16', '--ram', '8G', '--disk', '20G', '--os', 'debian-12', '--for', '1h'], api);
    assert.equal(quota.code, 1);
    assert.match(quota.stderr, /^3rc: RRC_ERR_QUOTA: over quota: quota cores of alice is 16: 4 in use by 1 open request\(s\), 16 asked\n$/);

    const rel = await run(['request', 'release', id], api);
    assert.equal(rel.code, 0, rel.stderr);
    assert.match(rel.stdout, /expiring \(being erased\)/);
    assert.equal((await run(['request', 'show', 'r-none'], api)).code, 1);
  });
});
