import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyClient, DEFAULT_BOOT_FILES, selectBootFile } from '../../../src/drivers/pxe/boot-select.js';

const MAC = '52:54:00:aa:bb:cc';
const base = { mac: MAC, netboot: true, files: DEFAULT_BOOT_FILES, httpBase: 'http://198.18.0.1:8080' };

describe('classifyClient', () => {
  const cases: Array<[string, Parameters<typeof classifyClient>[0], string]> = [
    ['BIOS PXE, option 93 = 0', { userClasses: [], clientArch: [0] }, 'bios'],
    ['UEFI x64, option 93 = 7', { userClasses: [], clientArch: [7] }, 'efi-x64'],
    ['UEFI x64, option 93 = 9', { userClasses: [], clientArch: [9] }, 'efi-x64'],
    ['UEFI ARM64, option 93 = 11', { userClasses: [], clientArch: [11] }, 'efi-arm64'],
    ['UEFI IA32 (6) is not served', { userClasses: [], clientArch: [6] }, 'pxe-unsupported'],
    ['arch from vendor class only', { userClasses: [], clientArch: [], vendorClass: 'PXEClient:Arch:00007:UNDI:003010' }, 'efi-x64'],
    ['PXE 2.0 vendor class without arch', { userClasses: [], clientArch: [], vendorClass: 'PXEClient' }, 'bios'],
    ['iPXE wins over arch', { userClasses: ['iPXE'], clientArch: [7] }, 'ipxe'],
    ['iPXE on BIOS', { userClasses: ['iPXE'], clientArch: [0] }, 'ipxe'],
    ['plain DHCP client', { userClasses: [], clientArch: [], vendorClass: 'udhcp 1.35.0' }, 'plain'],
    ['other user class', { userClasses: ['gPXE-ish'], clientArch: [] }, 'plain'],
  ];
  for (const [name, facts, kind] of cases) it(name, () => assert.equal(classifyClient(facts).kind, kind));
});

describe('selectBootFile', () => {
  it('gives undionly.kpxe to BIOS PXE and ipxe.efi to UEFI x64, over TFTP', () => {
    assert.deepEqual(selectBootFile({ kind: 'bios' }, base), { file: 'undionly.kpxe', tftp: true });
    assert.deepEqual(selectBootFile({ kind: 'efi-x64' }, base), { file: 'ipxe.efi', tftp: true });
  });

  it('gives iPXE the HTTP URL of its own script (no chain-load loop)', () => {
    assert.deepEqual(selectBootFile({ kind: 'ipxe' }, base), { file: 'http://198.18.0.1:8080/boot/52-54-00-aa-bb-cc.ipxe', tftp: false });
  });

  it('uses configured names', () => {
    const files = { bios: 'bios/ipxe.kpxe', efiX64: 'efi/snponly.efi', efiArm64: 'arm/ipxe.efi' };
    assert.equal(selectBootFile({ kind: 'bios' }, { ...base, files })?.file, 'bios/ipxe.kpxe');
    assert.equal(selectBootFile({ kind: 'efi-x64' }, { ...base, files })?.file, 'efi/snponly.efi');
    assert.equal(selectBootFile({ kind: 'efi-arm64' }, { ...base, files })?.file, 'arm/ipxe.efi');
  });

  it('gives nothing when netboot is off, to plain clients and to unsupported architectures', () => {
    for (const kind of ['bios', 'efi-x64', 'ipxe'] as const) assert.equal(selectBootFile({ kind }, { ...base, netboot: false }), undefined);
    assert.equal(selectBootFile({ kind: 'plain' }, base), undefined);
    assert.equal(selectBootFile({ kind: 'pxe-unsupported', arch: 6 }, base), undefined);
    assert.equal(selectBootFile({ kind: 'efi-arm64' }, base), undefined);
  });
});
