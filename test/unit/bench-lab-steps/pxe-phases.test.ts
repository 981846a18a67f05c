/** The phases of a network boot read from the boot services' milestones (bench/lab-steps/pxe-phases.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BootMilestone } from '../../../src/drivers/pxe/index.js';
import { pxePhases } from '../../../bench/lab-steps/pxe-phases.js';

const T0 = 1_000_000;
const m = (name: BootMilestone['name'], afterMs: number, detail: string, host = 'h1'): BootMilestone => ({ host, name, at: T0 + afterMs, detail });

describe('pxePhases', () => {
  it('an iPXE ROM: one ack, then the install script', () => {
    const p = pxePhases(
      [
        m('dhcp', -5000, 'an earlier boot'),
        m('dhcp', 5590, '198.18.1.50 boot http://198.18.1.1:8080/boot/x.ipxe'),
        m('http', 18670, 'install script 52:54:00:3d:00:01'),
        m('http', 18710, 'file vmlinuz'),
      ],
      'h1',
      T0,
    );
    assert.deepEqual(p, { firstAck: 5.59, script: 18.67, ackBeforeScript: 5.59 });
  });

  it('firmware PXE: the firmware ack, TFTP of ipxe.efi, then the iPXE ack that hands out the script', () => {
    const p = pxePhases(
      [
        m('dhcp', 7840, 'boot ipxe.efi'),
        m('tftp', 7860, 'start ipxe.efi'),
        m('tftp', 7870, 'start ipxe.efi'),
        m('tftp', 8110, 'done ipxe.efi 850528 bytes in 247 ms'),
        m('dhcp', 17500, 'boot http://198.18.1.1:8080/boot/x.ipxe'),
        m('http', 31750, 'install script 52:54:00:3d:00:01'),
        m('dhcp', 40000, 'a later renewal'),
      ],
      'h1',
      T0,
    );
    assert.equal(p.firstAck, 7.84);
    assert.equal(p.tftpStart, 7.86);
    assert.equal(p.tftpDone, 8.11);
    assert.equal(p.ackBeforeScript, 17.5, 'the last ack before the script, not a later one');
    assert.equal(p.script, 31.75);
  });

  it('ignores other hosts and milestones before t0; no script yet: no script phase', () => {
    const p = pxePhases([m('http', 100, 'install script x', 'h2'), m('http', -1, 'install script x'), m('dhcp', 200, 'ack')], 'h1', T0);
    assert.deepEqual(p, { firstAck: 0.2 });
  });
});
