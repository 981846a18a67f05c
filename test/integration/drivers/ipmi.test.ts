/** IpmiPowerDriver against a real BMC (ipmi_sim) with Debian's ipmitool. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IpmiPowerDriver } from '../../../src/drivers/ipmi.js';
import { secretResolver } from '../../../src/env/real/secrets.js';
import { freeUdpPort, waitFor } from '../../lab/peers/common.js';
import { startIpmiSim, type IpmiSim } from '../../lab/peers/ipmi-sim.js';
import { expectRrc, hostSpec, recordingExec } from './fixtures.js';

const PASSWORD = 'S3cret-bmc-pw';
const resolveSecret = secretResolver(
  { bmc: { env: 'T_BMC_PW' }, wrong: { env: 'T_BMC_WRONG' } },
  { T_BMC_PW: PASSWORD, T_BMC_WRONG: 'not-the-password' },
);

describe('IpmiPowerDriver against ipmi_sim', () => {
  let sim: IpmiSim;
  const rec = recordingExec();
  let driver: IpmiPowerDriver;

  before(async () => {
    sim = await startIpmiSim({ user: 'admin', password: PASSWORD, power: 'on' });
    driver = new IpmiPowerDriver({ resolveSecret, exec: rec.exec, timeoutMs: 5000, retries: 1, backoffMs: 100 });
  });
  after(async () => {
    await sim?.stop();
  });

  const host = (secretRef = 'bmc') => hostSpec({ bmc: sim.bmc(secretRef) });

  test('status, off, on follow the chassis', async () => {
    assert.equal(await driver.status(host()), 'on');
    await driver.off(host());
    assert.equal(sim.powerState(), 'off');
    assert.equal(await driver.status(host()), 'off');
    await driver.on(host());
    assert.equal(await driver.status(host()), 'on');
  });

  test('cycle powers off then on again', async () => {
    const before = sim.calls().length;
    await driver.cycle(host());
    // ipmi_sim sets power 1 about a second after power 0.
    await waitFor('power back on', () => sim.calls().slice(before).includes('power 1'), { timeoutMs: 5000 });
    assert.deepEqual(sim.calls().slice(before, before + 2), ['power 0', 'power 1']);
    assert.equal(await driver.status(host()), 'on');
  });

  test('cycle from off powers on', async () => {
    sim.setPower('off');
    await driver.cycle(host());
    await waitFor('power on', () => sim.powerState() === 'on', { timeoutMs: 5000 });
  });

  test('reset asks the chassis for a reset', async () => {
    await driver.reset(host());
    assert.ok(sim.calls().includes('reset 1'), sim.calls().join(','));
  });

  test('bootdev pxe and disk', async () => {
    await driver.setBootDevice(host(), 'pxe');
    assert.equal(sim.bootDevice(), 'pxe');
    await driver.setBootDevice(host(), 'disk');
    assert.equal(sim.bootDevice(), 'default');
  });

  test('the password is never on argv, only in the child environment', () => {
    assert.ok(rec.calls.length > 5);
    for (const c of rec.calls) {
      assert.ok(!c.args.some((a) => a.includes(PASSWORD)), `password on argv: ${c.args.join(' ')}`);
      assert.ok(c.args.includes('-E'));
      assert.deepEqual(c.args.slice(1, 5), ['-I', 'lanplus', '-C', '3']);
      assert.equal(c.env.IPMI_PASSWORD, PASSWORD);
      assert.deepEqual(Object.keys(c.env).sort(), ['IPMI_PASSWORD', 'PATH']);
    }
  });

  test('wrong password: RRC_ERR_AUTH (or a timeout) quickly, not retried', async () => {
    const r = recordingExec();
    const d = new IpmiPowerDriver({ resolveSecret, exec: r.exec, timeoutMs: 5000, retries: 2, backoffMs: 100 });
    const { err, ms } = await expectRrc(d.status(host('wrong')), ['RRC_ERR_AUTH', 'RRC_ERR_DRIVER_TIMEOUT']);
    assert.ok(ms < 20_000, `took ${ms} ms`);
    assert.match(err.message, /host h1 BMC 127\.0\.0\.1:\d+/);
    assert.ok(!err.message.includes('not-the-password'));
    if ((err as { code?: string }).code === 'RRC_ERR_AUTH') assert.equal(r.calls.length, 1, 'auth errors are not retried');
  });

  test('unknown user: RRC_ERR_AUTH', async () => {
    const d = new IpmiPowerDriver({ resolveSecret, timeoutMs: 5000, retries: 0 });
    const h = hostSpec({ bmc: { ...sim.bmc('bmc'), user: 'nobody' } });
    await expectRrc(d.status(h), ['RRC_ERR_AUTH', 'RRC_ERR_DRIVER_TIMEOUT']);
  });

  test('nothing listening on the port: typed error within the bound', async () => {
    const port = await freeUdpPort();
    const d = new IpmiPowerDriver({ resolveSecret, timeoutMs: 4000, retries: 1, backoffMs: 100 });
    const h = hostSpec({ bmc: { address: '127.0.0.1', port, user: 'admin', secretRef: 'bmc' } });
    const { err, ms } = await expectRrc(d.status(h), ['RRC_ERR_UNREACHABLE', 'RRC_ERR_DRIVER_TIMEOUT']);
    assert.ok(ms < 12_000, `took ${ms} ms`);
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
  });

  test('frozen BMC: the child is killed at the timeout', async () => {
    const d = new IpmiPowerDriver({ resolveSecret, timeoutMs: 1000, retries: 1, backoffMs: 100, ipmitoolTimeoutSec: 5 });
    sim.setBehaviour({ frozen: true });
    try {
      const { ms } = await expectRrc(d.status(host()), ['RRC_ERR_DRIVER_TIMEOUT']);
      assert.ok(ms < 5_000, `took ${ms} ms`);
    } finally {
      sim.setBehaviour({ frozen: false });
    }
    assert.equal(await driver.status(host()), sim.powerState());
  });

  test('ipmitool missing: RRC_ERR_MISSING_DEPENDENCY naming the package', async () => {
    const d = new IpmiPowerDriver({ resolveSecret, ipmitoolPath: '/nonexistent/ipmitool' });
    const { err } = await expectRrc(d.status(host()), ['RRC_ERR_MISSING_DEPENDENCY']);
    assert.match(err.message, /Debian package ipmitool/);
  });

  test('host without BMC or with an unknown secret: configuration errors', async () => {
    await expectRrc(driver.status(hostSpec()), ['RRC_ERR_CONFIG_INVALID']);
    const { err } = await expectRrc(driver.status(host('nope')), ['RRC_ERR_CONFIG_INVALID']);
    assert.match(err.message, /unknown secret ref "nope"/);
  });
});
