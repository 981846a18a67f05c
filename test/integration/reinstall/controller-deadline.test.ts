/**
 * The controller's rung 5 when no install ever completes (nothing boots: ipmi_sim in plain mode
 * has no machine behind it): the reinstall action fails, the incident escalates to quarantine,
 * and its timeline keeps the milestones reached and the deadline entry naming the last one.
 * Real: boot services (127.0.0.1), ipmi_sim + IpmiPowerDriver, LibvirtDriver on test:///default,
 * PxeProvisioner, controller, MemoryStore. Not real: "reachable" in the host probe.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createController } from '../../../src/controller/index.js';
import { resolvePolicy } from '../../../src/core/policy.js';
import type { HostSpec } from '../../../src/core/types.js';
import { IpmiPowerDriver } from '../../../src/drivers/ipmi.js';
import { LibvirtDriver } from '../../../src/drivers/libvirt.js';
import { startBootServices, type BootServices } from '../../../src/drivers/pxe/index.js';
import { PxeProvisioner } from '../../../src/drivers/pxe/provisioner.js';
import type { Env, Prober } from '../../../src/env/env.js';
import { realClock } from '../../../src/env/real/clock.js';
import { unconfiguredWitnesses } from '../../../src/env/real/witness.js';
import { RrcError } from '../../../src/errors.js';
import { MemoryStore } from '../../../src/store/index.js';
import { makeTempDir } from '../../lab/peers/common.js';
import { startIpmiSim, type IpmiSim } from '../../lab/peers/ipmi-sim.js';
import { silentLog, until } from './fixtures/lab.js';

const MAC = '52:54:00:3c:30:01';

describe('rung 5 through the controller, deadline missed', () => {
  const tmp = makeTempDir('rung5-deadline');
  let boot: BootServices;
  let bmc: IpmiSim;

  before(async () => {
    mkdirSync(join(tmp.dir, 'files'));
    boot = await startBootServices({
      address: '127.0.0.1',
      dhcpBindAddress: '127.0.0.1',
      dhcpPort: 0,
      tftpPort: 0,
      httpPort: 0,
      filesRoot: join(tmp.dir, 'files'),
      hosts: [{ name: 'node-1', macs: [MAC], ip: '127.0.0.1' }],
      log: silentLog,
      clock: realClock,
    });
    bmc = await startIpmiSim({ power: 'on' });
  });
  after(async () => {
    await bmc?.stop();
    await boot?.stop();
    tmp.remove();
  });

  it('quarantines; the timeline shows bootdev-set, power-cycled and the missed deadline', async () => {
    const host: HostSpec = {
      name: 'node-1',
      role: 'primary',
      macs: [MAC],
      ip: '127.0.0.1',
      bmc: bmc.bmc('bmc'),
      hypervisorUri: 'test:///default',
      capacity: { cores: 1, ramGb: 1, diskTb: 1 },
    };
    const power = new IpmiPowerDriver({ resolveSecret: async () => bmc.password, clock: realClock, timeoutMs: 3000 });
    const provisioner = new PxeProvisioner({ power, boot, clock: realClock });
    provisioner.disableNetboot([host]);
    const hypervisor = new LibvirtDriver({ clock: realClock, callTimeoutMs: 5000 });
    const prober: Prober = {
      async probeHost(h) {
        const state = await power.status(h).catch(() => 'unknown' as const);
        const hypervisorOk = await hypervisor.ping(h).then(() => true, () => false);
        return { bmcReachable: state !== 'unknown', power: state, reachable: true, shellOk: null, hypervisorOk };
      },
      probeVm: () => Promise.reject(new Error('no VMs in this test')),
    };
    const env: Env = {
      name: 'real',
      clock: realClock,
      log: silentLog,
      probes: prober,
      power,
      hypervisor,
      shell: { run: () => Promise.reject(new RrcError('RRC_ERR_MISSING_DEPENDENCY', 'no SSH in this test')) },
      provisioner,
      witnesses: unconfiguredWitnesses,
    };
    const store = new MemoryStore();
    await store.addHost(host);
    // The callback deadline is shorter than the rung timeout, so the miss is reported with its last
    // milestone; 12 s leaves ipmitool's boot device and power commands room on a loaded machine.
    const policy = resolvePolicy({ failAfter: 1, recoverAfter: 2, reinstallDeadlineSeconds: 12, rungs: { reinstall: { timeoutSeconds: 20 } } });
    const controller = createController({ env, store, policy, probes: { intervalMs: 1000, timeoutMs: 1000, concurrency: 2 } });
    await controller.start();
    try {
      assert.ok(await until(() => controller.targetStatus('host:node-1')?.phase === 'healthy', 15_000));
      await controller.triggerRung('host:node-1', 5, 'test');
      assert.ok(await until(() => controller.targetStatus('host:node-1')?.phase === 'quarantined', 40_000), JSON.stringify(controller.targetStatus('host:node-1')));
      await controller.idle();
      await new Promise((r) => setTimeout(r, 200)); // timeline writes are fire-and-forget

      const [incident] = await store.listIncidents({ targetId: 'host:node-1' });
      const detail = (await store.getIncident(incident!.id))!;
      assert.equal(detail.state, 'quarantined');
      const reinstall = detail.actions.find((a) => a.kind === 'reinstall')!;
      assert.equal(reinstall.outcome === 'ok', false);
      assert.match(reinstall.error ?? '', /RRC_ERR_DRIVER_TIMEOUT.*last milestone reached: power-cycled/);
      const milestones = detail.events.filter((e) => e.kind === 'milestone').map((e) => e.message);
      assert.deepEqual(milestones.map((m) => m.split(':')[0]), ['bootdev-set', 'power-cycled', 'deadline-missed'], milestones.join('\n'));
      assert.match(milestones[2]!, /^deadline-missed: no install-complete callback within 12 s; last milestone reached: power-cycled \(was on: power cycled\)/);
      assert.equal(boot.isNetbootEnabled(MAC), false);
      assert.equal(bmc.bootDevice(), 'default');
    } finally {
      await controller.stop();
      await hypervisor.close();
      await store.close();
    }
  });
});
