/**
 * The reinstall rung on a UEFI machine: QEMU (TCG, q35) with OVMF (Debian's ovmf: OVMF_CODE_4M
 * read-only, a fresh copy of OVMF_VARS_4M per power on) and iPXE's EFI driver ROM efi-e1000.rom
 * on an e1000, behind an ipmi_sim BMC, netbooting from the project's boot services across a
 * bridge in network namespaces (fixtures/lab.ts).
 *
 * iPXE EFI asks DHCP as an x64 UEFI client (option 93 = 7) with user class "iPXE", so, like the
 * BIOS ROM, it is handed its HTTP script URL (no TFTP): bootdev pxe -> power on -> DHCP -> HTTP
 * script, kernel, initrd -> kickstart -> callback; then netboot off and boot device disk.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ReinstallMilestone } from '../../../src/env/env.js';
import { startReinstallLab, testLog, type ReinstallLab } from './fixtures/lab.js';

const NODE = { name: 'uefi-1', mac: '52:54:00:3c:01:01' };

describe('reinstall of an OVMF + iPXE EFI QEMU machine over its BMC', () => {
  let lab: ReinstallLab;

  before(async () => {
    lab = await startReinstallLab([{ ...NODE, firmware: 'uefi-ipxe' }]);
  });
  after(async () => {
    await lab?.stop();
  });

  it('bootdev pxe, power on, DHCP (EFI iPXE), HTTP, kickstart, callback; netboot off and disk afterwards', async () => {
    const { spec, qemu, bmc } = lab.machine(NODE.name);
    assert.equal(await lab.boot.netbootOf(NODE.mac), false, 'netboot is off by default');
    assert.equal(bmc.powerState(), 'off');

    const got: ReinstallMilestone[] = [];
    const t0 = Date.now();
    await lab.provisioner.reinstall(spec, { deadlineMs: 85_000, onMilestone: (m) => got.push(m) });
    const seconds = (Date.now() - t0) / 1000;
    testLog.info({ seconds, milestones: got }, 'uefi reinstall done');

    const context = `${JSON.stringify(got, null, 1)}\n${lab.dump()}`;
    const names = got.map((m) => m.name);
    const firsts = ['bootdev-set', 'power-cycled', 'dhcp', 'http', 'kickstart', 'callback'].map((n) => names.indexOf(n));
    assert.ok(firsts.every((i, k) => i >= 0 && (k === 0 || i > firsts[k - 1]!)), context);
    for (let i = 1; i < got.length; i++) assert.ok(got[i]!.at >= got[i - 1]!.at, context);
    assert.equal(got.find((m) => m.name === 'power-cycled')?.detail, 'was off: powered on');
    assert.match(got.find((m) => m.name === 'dhcp')!.detail ?? '', /boot http:\/\/198\.18\.\d+\.1:8080\/boot\/52-54-00-3c-01-01\.ipxe/);
    assert.deepEqual(got.filter((m) => m.name === 'http').map((m) => m.detail), [`install script ${NODE.mac}`, 'file vmlinuz', 'file initrd.img'], context);

    const console = qemu.console();
    assert.match(console, /iPXE .*\n.*Features:.* EFI/, 'the EFI build of iPXE ran');
    assert.match(console, /3RC stand-in installer: uefi-1 installed, calling back/);
    assert.equal(await lab.boot.netbootOf(NODE.mac), false);
    assert.equal(bmc.bootDevice(), 'default');
    assert.ok(seconds < 85, `took ${seconds} s`);
  });
});

const NATIVE = { name: 'uefi-2', mac: '52:54:00:3c:02:01' };

describe('reinstall of an OVMF machine with the firmware\'s own PXE (TFTP of ipxe.efi)', () => {
  let lab: ReinstallLab;

  before(async () => {
    lab = await startReinstallLab([{ ...NATIVE, firmware: 'uefi-native' }]);
  });
  after(async () => {
    await lab?.stop();
  });

  it('DHCP hands ipxe.efi (option 93 = 7), TFTP serves it, iPXE then takes the HTTP script to the callback', async () => {
    const { spec, qemu } = lab.machine(NATIVE.name);
    const got: ReinstallMilestone[] = [];
    await lab.provisioner.reinstall(spec, { deadlineMs: 85_000, onMilestone: (m) => got.push(m) });
    const context = `${JSON.stringify(got, null, 1)}\n${lab.dump()}`;
    const names = got.map((m) => m.name);
    const firsts = ['bootdev-set', 'power-cycled', 'dhcp', 'tftp', 'http', 'kickstart', 'callback'].map((n) => names.indexOf(n));
    assert.ok(firsts.every((i, k) => i >= 0 && (k === 0 || i > firsts[k - 1]!)), context);
    assert.match(got.find((m) => m.name === 'dhcp')!.detail ?? '', /ipxe\.efi/, context);
    assert.match(got.find((m) => m.name === 'tftp')!.detail ?? '', /ipxe\.efi/, context);
    assert.match(qemu.console(), /3RC stand-in installer: uefi-2 installed, calling back/);
    assert.equal(await lab.boot.netbootOf(NATIVE.mac), false);
  });
});
