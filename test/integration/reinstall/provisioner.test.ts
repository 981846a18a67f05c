/**
 * PxeProvisioner against the real boot services (in process, 127.0.0.1, ephemeral ports) and a
 * real ipmi_sim BMC, with the machine played by HTTP requests: fast checks of the rules that the
 * QEMU tests cannot provoke cheaply (BMC failures, deadlines during BMC calls, concurrency, the
 * milestone cap). The whole flow with real firmware is in qemu-bios.test.ts / qemu-uefi.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { HostSpec } from '../../../src/core/types.js';
import { IpmiPowerDriver } from '../../../src/drivers/ipmi.js';
import { startBootServices, type BootServices } from '../../../src/drivers/pxe/index.js';
import { PxeProvisioner } from '../../../src/drivers/pxe/provisioner.js';
import type { PowerDriver, ReinstallMilestone } from '../../../src/env/env.js';
import { realClock } from '../../../src/env/real/clock.js';
import { isRrcError } from '../../../src/errors.js';
import { delay, makeTempDir } from '../../lab/peers/common.js';
import { startIpmiSim, type IpmiSim } from '../../lab/peers/ipmi-sim.js';
import { MSG } from '../../../src/drivers/pxe/dhcp-codec.js';
import { clientPacket } from '../../unit/pxe/dhcp-packets.js';
import { ed25519KeyLine, udpPeer } from '../../unit/pxe/support.js';
import { silentLog, until } from './fixtures/lab.js';

const MAC = '52:54:00:3c:10:01';
const MAC2 = '52:54:00:3c:10:02';

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; details?: unknown }> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  assert.fail('expected a rejection');
}

describe('PxeProvisioner with the real boot services and ipmi_sim', () => {
  const tmp = makeTempDir('provisioner');
  const knownHosts = join(tmp.dir, 'known_hosts');
  let boot: BootServices;
  let bmc: IpmiSim;
  let power: IpmiPowerDriver;
  let host: HostSpec;
  let other: HostSpec;

  before(async () => {
    const files = join(tmp.dir, 'files');
    mkdirSync(files);
    writeFileSync(join(files, 'vmlinuz'), 'kernel');
    writeFileSync(knownHosts, '127.0.0.2 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherHost\n127.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOldKey\n');
    boot = await startBootServices({
      address: '127.0.0.1',
      dhcpBindAddress: '127.0.0.1',
      dhcpPort: 0,
      tftpPort: 0,
      httpPort: 0,
      filesRoot: files,
      hosts: [
        { name: 'node-1', macs: [MAC], ip: '127.0.0.1' },
        { name: 'node-2', macs: [MAC2], ip: '127.0.0.2' },
      ],
      knownHostsFile: knownHosts,
      log: silentLog,
      clock: realClock,
    });
    bmc = await startIpmiSim({ power: 'on' });
    power = new IpmiPowerDriver({ resolveSecret: async () => bmc.password, clock: realClock, timeoutMs: 3000, retries: 0 });
    const spec = (name: string, mac: string): HostSpec => ({
      name,
      role: 'primary',
      macs: [mac],
      ip: '127.0.0.1',
      bmc: bmc.bmc('bmc'),
      hypervisorUri: 'test:///default',
      capacity: { cores: 1, ramGb: 1, diskTb: 1 },
    });
    host = spec('node-1', MAC);
    other = spec('node-2', MAC2);
  });
  after(async () => {
    bmc?.setBehaviour({ frozen: false });
    await bmc?.stop();
    await boot?.stop();
    tmp.remove();
  });

  const script = async (mac: string) => (await fetch(`${boot.baseUrl}/boot/${mac.replace(/:/g, '-')}.ipxe`)).text();

  /** The machine's DHCP REQUEST (its lease, with netboot on, binds the install token). */
  const lease = async (mac: string) => {
    const peer = await udpPeer();
    try {
      peer.sock.send(clientPacket({ type: MSG.REQUEST, mac, requestedIp: '127.0.0.1', arch: 0 }), boot.ports.dhcp, '127.0.0.1');
      assert.ok(await peer.next(3000), 'a DHCP ack');
    } finally {
      await peer.close();
    }
  };

  /** The callback URL in the host's kickstart, fetched from the leased address. */
  const kickstartCallback = async (name: string) => {
    const ks = await request(`${boot.baseUrl}/ks/${name}.cfg`, { method: 'GET' });
    assert.equal(ks.status, 200, ks.body);
    const url = /curl .* '([^']+)' && break/.exec(ks.body)?.[1];
    assert.ok(url, ks.body);
    return url;
  };

  it('netboot is off until a reinstall; the callback resolves it; then netboot off and disk again', async () => {
    const provisioner = new PxeProvisioner({ power, boot, clock: realClock, maxPerMilestone: 2 });
    provisioner.disableNetboot([host, other]);
    assert.equal(boot.isNetbootEnabled(MAC), false);
    assert.match(await script(MAC), /booting from local disk/);

    const got: ReinstallMilestone[] = [];
    const running = provisioner.reinstall(host, { deadlineMs: 20_000, onMilestone: (m) => got.push(m) });
    assert.ok(await until(() => got.some((m) => m.name === 'power-cycled'), 10_000), JSON.stringify(got));
    assert.deepEqual(provisioner.inProgress(), ['node-1']);
    provisioner.disableNetboot([host, other]); // a table refresh must not cut a running reinstall
    assert.equal(boot.isNetbootEnabled(MAC), true);
    assert.equal(bmc.bootDevice(), 'pxe');

    // The "machine": its DHCP lease, script (netboot on: the install script), files, kickstart, callback.
    await lease(MAC);
    assert.match(await script(MAC), /kernel http:\/\/127\.0\.0\.1:\d+\/files\/vmlinuz/);
    for (let i = 0; i < 4; i++) assert.equal((await fetch(`${boot.baseUrl}/files/vmlinuz`)).status, 200);
    const callback = await kickstartCallback('node-1');
    const hostKey = ed25519KeyLine('root@node-1');
    const ok = await request(callback, { body: new URLSearchParams({ mac: MAC, hostkey: hostKey }).toString() });
    assert.equal(ok.status, 200, ok.body);
    await running;

    assert.deepEqual(
      got.map((m) => m.name),
      ['bootdev-set', 'power-cycled', 'dhcp', 'http', 'http', 'http', 'kickstart', 'callback'],
      JSON.stringify(got, null, 1),
    );
    assert.equal(got[5]!.detail, 'further http events of this reinstall are not recorded');
    assert.equal(got.at(-1)!.detail, 'from 127.0.0.1, host key recorded for 127.0.0.1');
    assert.deepEqual(readFileSync(knownHosts, 'utf8').trimEnd().split('\n'), ['127.0.0.2 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherHost', `127.0.0.1 ${hostKey.split(' ').slice(0, 2).join(' ')}`]);
    assert.equal(got[1]!.detail, 'was on: power cycled');
    assert.deepEqual(provisioner.inProgress(), []);
    assert.equal(boot.isNetbootEnabled(MAC), false);
    assert.equal(bmc.bootDevice(), 'default');
    // ipmi_sim finishes a cycle on its own about 1 s after "power 0": the fast callback here can beat it.
    assert.ok(await until(() => bmc.calls().includes('power 1'), 5000), bmc.calls().join(', '));
    assert.deepEqual(bmc.calls().filter((c) => c !== 'power 1').slice(-3), ['boot pxe', 'power 0', 'boot default']);
    assert.match(await script(MAC), /booting from local disk/);
  });

  it('the install token: refused from another address, for another MAC, after netboot ended', async () => {
    const provisioner = new PxeProvisioner({ power, boot, clock: realClock });
    const got: ReinstallMilestone[] = [];
    const running = rejection(provisioner.reinstall(host, { deadlineMs: 4000, onMilestone: (m) => got.push(m) }));
    assert.ok(await until(() => got.some((m) => m.name === 'power-cycled'), 10_000), JSON.stringify(got));
    const ksUrl = `${boot.baseUrl}/ks/node-1.cfg`;
    assert.match((await request(ksUrl, { method: 'GET' })).body, /not taken its DHCP lease/, 'no token before the lease');
    await lease(MAC);
    const stranger = await request(ksUrl, { method: 'GET', localAddress: '127.0.0.2' });
    assert.equal(stranger.status, 403);
    assert.doesNotMatch(stranger.body, /token=/);
    const callback = await kickstartCallback('node-1');
    const form = (mac: string) => new URLSearchParams({ mac, hostkey: ed25519KeyLine() }).toString();
    const fromElsewhere = await request(callback, { body: form(MAC), localAddress: '127.0.0.2' });
    assert.deepEqual([fromElsewhere.status, fromElsewhere.body], [403, '{"error":"request not from the address leased to the host being reinstalled"}']);
    const otherMac = await request(callback, { body: form(MAC2) });
    assert.deepEqual([otherMac.status, otherMac.body], [403, '{"error":"MAC missing or not the one that netbooted for this reinstall"}']);
    // No callback in time: the reinstall fails, netboot goes off, and the token with it.
    const err = await running;
    assert.ok(isRrcError(err, 'RRC_ERR_DRIVER_TIMEOUT'), String(err));
    assert.equal(boot.isNetbootEnabled(MAC), false);
    const late = await request(callback, { body: form(MAC) });
    assert.deepEqual([late.status, late.body], [403, '{"error":"netboot of this host has ended"}']);
    assert.ok(!got.some((m) => m.name === 'callback'));
    assert.equal(boot.stats().http.rejectedCallbacks >= 3, true);
  });

  /** Long enough for ipmitool's boot device and power commands on a loaded machine (over 2.5 s seen). */
  const NO_CALLBACK_DEADLINE_MS = 10_000;
  it('no callback within the deadline: RRC_ERR_DRIVER_TIMEOUT naming the last milestone', async () => {
    const provisioner = new PxeProvisioner({ power, boot, clock: realClock });
    bmc.setPower('off');
    const got: ReinstallMilestone[] = [];
    const t0 = Date.now();
    const err = await rejection(provisioner.reinstall(host, { deadlineMs: NO_CALLBACK_DEADLINE_MS, onMilestone: (m) => got.push(m) }));
    assert.ok(isRrcError(err, 'RRC_ERR_DRIVER_TIMEOUT'), String(err));
    assert.match(err.message, new RegExp(`^timed out: reinstall of node-1: no install-complete callback within ${NO_CALLBACK_DEADLINE_MS / 1000} s; last milestone reached: power-cycled \\(was off: powered on\\) at \\S+Z, \\d+ s after the start$`));
    assert.deepEqual(err.details, {
      host: 'node-1',
      lastMilestone: 'power-cycled',
      lastMilestoneAt: got[1]!.at,
      reason: err.message.replace(/^timed out: reinstall of node-1: /, ''),
    });
    assert.deepEqual(got.map((m) => m.name), ['bootdev-set', 'power-cycled', 'deadline-missed']);
    assert.ok(Date.now() - t0 >= NO_CALLBACK_DEADLINE_MS);
    assert.equal(boot.isNetbootEnabled(MAC), false);
    assert.equal(bmc.bootDevice(), 'default');
    assert.equal(bmc.powerState(), 'on');
  });

  it('a deadline during a slow BMC call: nothing is sent to the BMC after it but the restore', async () => {
    const slow: PowerDriver = {
      ...bindAll(power),
      setBootDevice: async (h, d) => {
        if (d === 'pxe') await delay(1500);
        return power.setBootDevice(h, d);
      },
    };
    const provisioner = new PxeProvisioner({ power: slow, boot, clock: realClock });
    const callsBefore = bmc.calls().length;
    const err = await rejection(provisioner.reinstall(host, { deadlineMs: 300, onMilestone: () => undefined }));
    assert.ok(isRrcError(err, 'RRC_ERR_DRIVER_TIMEOUT'), String(err));
    assert.match(err.message, /last milestone reached: none$/);
    await delay(1500);
    // The in-flight "bootdev pxe" finished, then the restore; no status, no power command.
    assert.deepEqual(bmc.calls().slice(callsBefore), ['boot pxe', 'boot default']);
    assert.equal(boot.isNetbootEnabled(MAC), false);
  });

  it('a BMC that does not answer: its error, netboot off again, restore attempted', async () => {
    const provisioner = new PxeProvisioner({ power, boot, clock: realClock, settleMs: 100 });
    bmc.setBehaviour({ frozen: true });
    try {
      const t0 = Date.now();
      const err = await rejection(provisioner.reinstall(host, { deadlineMs: 60_000, onMilestone: () => undefined }));
      assert.ok(isRrcError(err) && ['RRC_ERR_DRIVER_TIMEOUT', 'RRC_ERR_UNREACHABLE'].includes(err.code), String(err));
      assert.match(err.message, /ipmitool chassis bootdev pxe/);
      assert.ok(Date.now() - t0 < 15_000);
      assert.equal(boot.isNetbootEnabled(MAC), false);
    } finally {
      bmc.setBehaviour({ frozen: false });
    }
  });

  it('refuses a second reinstall of the same host, a host without MACs, an unknown boot host', async () => {
    const provisioner = new PxeProvisioner({ power, boot, clock: realClock });
    const first = provisioner.reinstall(host, { deadlineMs: 1500, onMilestone: () => undefined });
    const second = await rejection(provisioner.reinstall(host, { deadlineMs: 1500, onMilestone: () => undefined }));
    assert.ok(isRrcError(second, 'RRC_ERR_CONFLICT'), String(second));
    assert.ok(isRrcError(await rejection(first), 'RRC_ERR_DRIVER_TIMEOUT'));

    const noMac = await rejection(provisioner.reinstall({ ...host, macs: [] }, { deadlineMs: 1000, onMilestone: () => undefined }));
    assert.ok(isRrcError(noMac, 'RRC_ERR_CONFIG_INVALID'), String(noMac));
    const badDeadline = await rejection(provisioner.reinstall(host, { deadlineMs: 0, onMilestone: () => undefined }));
    assert.ok(isRrcError(badDeadline, 'RRC_ERR_VALIDATION'), String(badDeadline));
    const unknown = await rejection(provisioner.reinstall({ ...other, name: 'node-9' }, { deadlineMs: 1000, onMilestone: () => undefined }));
    assert.ok(isRrcError(unknown, 'RRC_ERR_NOT_FOUND'), String(unknown));
    assert.equal(boot.isNetbootEnabled(MAC2), false);
    assert.deepEqual(provisioner.inProgress(), []);
  });
});

/** The driver's methods bound to it, so a wrapper can spread them. */
function bindAll(d: PowerDriver): PowerDriver {
  return {
    status: (h) => d.status(h),
    on: (h) => d.on(h),
    off: (h) => d.off(h),
    cycle: (h) => d.cycle(h),
    reset: (h) => d.reset(h),
    setBootDevice: (h, dev) => d.setBootDevice(h, dev),
  };
}

/** One HTTP request from `localAddress` (default 127.0.0.1); POST of a form unless `method` says otherwise. */
function request(url: string, o: { method?: string; body?: string; localAddress?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: o.method ?? 'POST',
        localAddress: o.localAddress ?? '127.0.0.1',
        headers: o.body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
        timeout: 10_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end(o.body);
  });
}
