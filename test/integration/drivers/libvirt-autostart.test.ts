/**
 * Autostart control of LibvirtDriver (virsh beside the binding) against a real libvirtd serving
 * the test driver, so the binding and virsh see the same domains.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HostContact } from '../../../src/controller/host-contact.js';
import { InventoryIndex } from '../../../src/controller/inventory.js';
import type { TargetId } from '../../../src/core/types.js';
import { LibvirtDriver } from '../../../src/drivers/libvirt.js';
import { VirshAutostart } from '../../../src/drivers/libvirt-autostart.js';
import type { Logger } from '../../../src/env/env.js';
import { realClock } from '../../../src/env/real/clock.js';
import { startLibvirtd, type Libvirtd } from '../../lab/peers/libvirtd.js';
import { testDomainXml } from '../../lab/peers/libvirt-xml.js';
import { expectRrc, hostSpec, vmSpec } from './fixtures.js';

const UUID = '00000000-0000-4000-8000-0000000000c1';

/** A logger that keeps warn and error lines. */
function keepingLog(lines: string[]): Logger {
  const log: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (o, m) => void lines.push(`warn ${m ?? ''} ${JSON.stringify(o)}`),
    error: (o, m) => void lines.push(`error ${m ?? ''} ${JSON.stringify(o)}`),
    child: () => log,
  };
  return log;
}

const autostartOf = async (daemon: Libvirtd, domain: string): Promise<string> =>
  /^Autostart:\s*(\S+)/m.exec(await daemon.virsh(['dominfo', domain]))?.[1] ?? 'no Autostart line';

describe('LibvirtDriver autostart against libvirtd (test driver)', () => {
  let daemon: Libvirtd;
  let driver: LibvirtDriver;
  const lines: string[] = [];
  const vm = vmSpec({ name: 'web1', uuid: UUID, domainXml: testDomainXml({ name: 'web1', uuid: UUID }) });
  const host = () => hostSpec({ hypervisorUri: daemon.uri });

  before(async () => {
    daemon = await startLibvirtd();
    driver = new LibvirtDriver({ callTimeoutMs: 5000, pollMs: 50, log: keepingLog(lines) });
    await driver.ping(host()); // holds the connection that keeps the test driver's state
  });
  after(async () => {
    await driver?.close();
    await daemon?.stop();
  });

  test('a domain it defines runs with autostart off', async () => {
    await driver.defineAndStart(host(), vm);
    assert.equal(await driver.domainState(host(), vm), 'running');
    assert.equal(await driver.getAutostart(host(), vm), false);
    assert.equal(await autostartOf(daemon, UUID), 'disable');
  });

  test('get and set follow the hypervisor (seen by another client)', async () => {
    assert.deepEqual(await driver.autostartDomains(host()), []);
    await driver.setAutostart(host(), vm, true);
    assert.equal(await driver.getAutostart(host(), vm), true);
    assert.equal(await autostartOf(daemon, UUID), 'enable');
    assert.deepEqual(await driver.autostartDomains(host()), [UUID]);
    await driver.setAutostart(host(), vm, false);
    assert.equal(await autostartOf(daemon, 'web1'), 'disable');
    assert.deepEqual(await driver.autostartDomains(host()), []);
  });

  test('a defined domain found with autostart on is switched off before it is started', async () => {
    await driver.destroy(host(), vm);
    await daemon.virsh(['autostart', UUID]); // someone else turned it on
    assert.equal(await driver.getAutostart(host(), vm), true);
    lines.length = 0;
    await driver.defineAndStart(host(), vm);
    assert.equal(await driver.domainState(host(), vm), 'running');
    assert.equal(await autostartOf(daemon, UUID), 'disable');
    assert.ok(lines.some((l) => l.startsWith('warn autostart was on: switched off')), lines.join('\n'));
  });

  test('a running domain found with autostart on is switched off too (define path, nothing to start)', async () => {
    await daemon.virsh(['autostart', UUID]);
    await driver.defineAndStart(host(), vm);
    assert.equal(await autostartOf(daemon, UUID), 'disable');
  });

  test("the controller's drift correction (HostContact) turns autostart off on a running domain", async () => {
    await daemon.virsh(['autostart', UUID]); // drift: someone turned it on behind the controller's back
    assert.equal(await autostartOf(daemon, UUID), 'enable');
    const index = new InventoryIndex();
    index.vms.set(vm.name, { ...vm, createdAt: 0, updatedAt: 0 });
    const contact = new HostContact({
      env: { clock: realClock, hypervisor: driver, log: keepingLog(lines) },
      index,
      staleCopies: { atFirstContact: async () => 'clean' },
      callTimeoutMs: 5000,
    });
    lines.length = 0;
    const corrected = await contact.correctAutostart('host:hv1' as TargetId, { ...host(), state: 'active', lastContactAt: null, createdAt: 0, updatedAt: 0 });
    assert.deepEqual(corrected, ['web1']);
    assert.equal(await autostartOf(daemon, UUID), 'disable', 'seen by another client');
    assert.equal(await driver.domainState(host(), vm), 'running', 'the domain keeps running');
    assert.ok(lines.some((l) => l.includes('was on: switched off (drift corrected)') && l.includes('"drift":"autostart"')), lines.join('\n'));
    assert.deepEqual(await contact.correctAutostart('host:hv1' as TargetId, { ...host(), state: 'active', lastContactAt: null, createdAt: 0, updatedAt: 0 }), [], 'nothing left to correct');
  });

  test('a domain that is not defined: RRC_ERR_NOT_FOUND', async () => {
    const ghost = vmSpec({ name: 'ghost', uuid: '00000000-0000-4000-8000-0000000000ff' });
    await expectRrc(driver.getAutostart(host(), ghost), ['RRC_ERR_NOT_FOUND']);
    await expectRrc(driver.setAutostart(host(), ghost, false), ['RRC_ERR_NOT_FOUND']);
  });

  test('virsh missing: a typed error naming the package; starting a VM is not held back', async () => {
    const errors: string[] = [];
    const d = new LibvirtDriver({
      callTimeoutMs: 5000,
      log: keepingLog(errors),
      autostart: new VirshAutostart({ virshPath: '/nonexistent/virsh' }),
    });
    try {
      const { err } = await expectRrc(d.getAutostart(host(), vm), ['RRC_ERR_MISSING_DEPENDENCY']);
      assert.match(err.message, /libvirt-clients/);
      await driver.destroy(host(), vm);
      await d.defineAndStart(host(), vm);
      assert.equal(await d.domainState(host(), vm), 'running');
      assert.ok(errors.some((l) => l.startsWith('error autostart not checked')), errors.join('\n'));
    } finally {
      await d.close();
    }
  });
});
