/** SEL parsing and the boot-progress fold, on text captured from ipmitool 1.8.19 against ipmi_sim. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BootProgress } from '../../../src/core/signature.js';
import { foldBootProgress, markOf, meaningOf, parseSel, type SelRecord } from '../../../src/drivers/ipmi-sel.js';

/** One verbose block as `ipmitool -v sel elist` prints it. */
function block(id: number, type: string, data: string, description: string, opts: { deassert?: boolean; eventType?: string; recordType?: string } = {}): string {
  return [
    `SEL Record ID          : ${id.toString(16).padStart(4, '0')}`,
    ` Record Type           : ${opts.recordType ?? '02'}`,
    ' Timestamp             : 12/02/2026 20:45:19',
    ' Generator ID          : 0020',
    ' EvM Revision          : 04',
    ` Sensor Type           : ${type}`,
    ' Sensor Number         : 01',
    ` Event Type            : ${opts.eventType ?? 'Sensor-specific Discrete'}`,
    ` Event Direction       : ${opts.deassert ? 'Deassertion Event' : 'Assertion Event'}`,
    ` Event Data            : ${data}`,
    ` Description           : ${description}`,
    '',
  ].join('\n');
}

const verdict = (text: string): BootProgress => foldBootProgress(parseSel(text)).progress;

describe('parseSel, verbose format (what the driver reads)', () => {
  // Every kind of record the fold knows, with the text ipmitool printed for it.
  const cases: Array<[string, string, string, BootProgress]> = [
    ['System Firmwares', '02ffff', 'Unknown Progress', 'booting'],
    ['System Firmwares', 'a213ff', 'System boot initiated', 'booting'],
    ['System Firmwares', '00ffff', 'Unknown Error', 'boot-failed'],
    ['System Firmwares', 'a108ff', 'Removable boot media not found', 'boot-failed'],
    ['System Firmwares', '01ffff', 'Unknown Hang', 'boot-failed'],
    ['System Boot Initiated', '00ffff', 'Initiated by power up', 'booting'],
    ['System Boot Initiated', '07ffff', 'System Restart', 'booting'],
    ['Boot Error', '00ffff', 'No bootable media', 'boot-failed'],
    ['Boot Error', '02ffff', 'PXE server not found', 'boot-failed'],
    ['OS Boot', '01ffff', 'C: boot completed', 'os-running'],
    ['OS Boot', '02ffff', 'PXE boot completed', 'os-running'],
    ['OS Boot', '07ffff', 'Installation started', 'booting'],
    ['OS Boot', '0affff', 'Installation failed', 'boot-failed'],
    ['OS Critical Stop', '00ffff', 'Error during system startup', 'boot-failed'],
    ['OS Critical Stop', '01ffff', 'Run-time critical stop', 'booting'],
    ['OS Critical Stop', '02ffff', 'OS graceful stop', 'booting'],
    ['OS Critical Stop', '03ffff', 'OS graceful shutdown', 'off'],
    ['System ACPI Power State', '00ffff', 'S0/G0: working', 'booting'],
    ['System ACPI Power State', '05ffff', 'S5/G2: soft-off', 'off'],
    ['Power Unit', '00ffff', 'Power off/down', 'off'],
    ['Power Unit', '01ffff', 'Power cycle', 'booting'],
  ];
  for (const [type, data, description, expected] of cases) {
    test(`${type}: ${description} -> ${expected}`, () => {
      const records = parseSel(block(1, type, data, description));
      assert.equal(records.length, 1);
      assert.equal(meaningOf(records[0] as SelRecord), expected);
      assert.equal(verdict(block(1, type, data, description)), expected);
    });
  }

  test('the offset comes from the event data, not the description text', () => {
    // ipmitool names a hang by its step ("Memory initialization"), the same text as progress.
    assert.equal(verdict(block(1, 'System Firmwares', '0101ff', 'Memory initialization')), 'boot-failed');
    assert.equal(verdict(block(1, 'System Firmwares', '0201ff', 'Memory initialization')), 'booting');
  });

  test('deassertions, generic event types, OEM records and other sensors say nothing', () => {
    assert.equal(verdict(block(1, 'Boot Error', '00ffff', 'No bootable media', { deassert: true })), 'unknown');
    assert.equal(verdict(block(1, 'Boot Error', '00ffff', 'State Deasserted', { eventType: 'Generic Discrete' })), 'unknown');
    assert.equal(verdict(block(1, 'Boot Error', '00ffff', 'No bootable media', { recordType: 'c1' })), 'unknown');
    assert.equal(verdict(block(1, 'Temperature', '5955ff', 'Upper Critical going high')), 'unknown');
    assert.equal(verdict(block(1, 'OS Critical Stop', '05ffff', 'Agent not responding')), 'unknown');
  });

  test('no entries and garbage -> unknown, no records', () => {
    assert.deepEqual(parseSel('SEL has no entries\n'), []);
    assert.equal(verdict(''), 'unknown');
    assert.deepEqual(parseSel('SEL Record ID : zz\n Sensor Type : Boot Error\n'), []);
  });

  test('a malformed block between good ones is skipped', () => {
    const text = `${block(1, 'Boot Error', '00ffff', 'No bootable media')}SEL Record ID : 0002\n Sensor Type : OS Boot\n\n${block(3, 'OS Boot', '01ffff', 'C: boot completed')}`;
    const records = parseSel(text);
    assert.deepEqual(records.map((r) => r.id), ['0001', '0003']);
    assert.equal(foldBootProgress(records).progress, 'os-running');
  });

  test('-v chatter before the records is ignored', () => {
    const text = `Loading IANA PEN Registry...\nRunning Get VSO Capabilities my_addr 0x20, transit 0, target 0x20\n${block(1, 'OS Boot', '01ffff', 'C: boot completed')}`;
    assert.equal(verdict(text), 'os-running');
  });
});

describe('parseSel, one-line `sel elist` format', () => {
  const line = (id: string, sensor: string, description: string, dir = 'Asserted') =>
    `${id.padStart(4)} | 12/02/2026 | 20:45:19 | ${sensor} | ${description} | ${dir}`;

  test('each kind by its description', () => {
    const cases: Array<[string, string, BootProgress]> = [
      ['System Firmwares #0x01', 'Unknown Progress', 'booting'],
      ['System Firmwares #0x01', 'Unknown Error', 'boot-failed'],
      ['System Firmwares #0x01', 'Unknown Hang', 'boot-failed'],
      ['System Boot Initiated #0x01', 'Initiated by hard reset', 'booting'],
      ['Boot Error #0x01', 'No bootable media', 'boot-failed'],
      ['Boot Error BIOS_BOOT', 'Invalid boot sector', 'boot-failed'],
      ['OS Boot #0x01', 'C: boot completed', 'os-running'],
      ['OS Boot #0x01', 'Installation aborted', 'boot-failed'],
      ['OS Critical Stop #0x01', 'Run-time critical stop', 'booting'],
      ['OS Critical Stop #0x01', 'OS graceful shutdown', 'off'],
      ['System ACPI Power State #0x01', 'G3: mechanical off', 'off'],
      ['Power Unit #0x01', 'AC lost', 'off'],
    ];
    for (const [sensor, description, expected] of cases) {
      assert.equal(verdict(line('1', sensor, description)), expected, `${sensor} | ${description}`);
    }
  });

  test('ipmi_sim timestamps, deasserted and malformed lines', () => {
    const text = [
      '   7 |  Pre-Init  |0000007101| Boot Error #0x01 | No bootable media | Asserted',
      '   8 |  Pre-Init  |0000007101| OS Boot #0x01 | C: boot completed | Deasserted',
      'not a record | at all',
      '   x | 1 | 2 | OS Boot #0x01 | C: boot completed | Asserted',
      '   9 | 12/02/2026 | 20:45:19 | OS Boot #0x01 | C: boot completed',
      '   a | 12/02/2026 | 20:45:19 | Temperature #0x30 | Upper Critical going high | Asserted | Reading 95 > Threshold 90 degrees C',
    ].join('\n');
    const records = parseSel(text);
    assert.deepEqual(records.map((r) => [r.id, r.asserted]), [['7', true], ['8', false], ['a', true]]);
    assert.equal(foldBootProgress(records).progress, 'boot-failed');
  });
});

describe('foldBootProgress: the newest record with a meaning wins', () => {
  const rec = (id: number, type: string, data: string, description: string) => block(id, type, data, description);
  const failed = rec(1, 'Boot Error', '00ffff', 'No bootable media');
  const initiated = rec(2, 'System Boot Initiated', '00ffff', 'Initiated by power up');
  const completed = rec(3, 'OS Boot', '01ffff', 'C: boot completed');
  const panic = rec(4, 'OS Critical Stop', '01ffff', 'Run-time critical stop');
  const noise = rec(5, 'Temperature', '5955ff', 'Upper Critical going high');

  test('log order decides, not the kind of record', () => {
    assert.equal(verdict(failed + initiated), 'booting');
    assert.equal(verdict(failed + initiated + completed), 'os-running');
    assert.equal(verdict(completed + failed), 'boot-failed');
    assert.equal(verdict(initiated + completed + panic), 'booting');
    assert.equal(verdict(initiated + completed + noise), 'os-running', 'records without a meaning do not overrule');
  });

  test('it names the record that decided and how many were looked at', () => {
    const v = foldBootProgress(parseSel(failed + initiated + completed + noise));
    assert.equal(v.decidedBy?.id, '0003');
    assert.equal(v.considered, 4);
  });

  test('records up to the mark of a power action do not count', () => {
    const before = parseSel(failed);
    const mark = markOf(before);
    assert.equal(foldBootProgress(parseSel(failed), mark).progress, 'unknown');
    assert.equal(foldBootProgress(parseSel(failed + completed), mark).progress, 'os-running');
    assert.equal(foldBootProgress(parseSel(failed + noise), mark).considered, 1);
  });

  test('a mark taken on an empty log lets everything count; a vanished mark (log cleared) too', () => {
    assert.equal(foldBootProgress(parseSel(failed), markOf([])).progress, 'boot-failed');
    const mark = markOf(parseSel(completed + panic));
    assert.equal(foldBootProgress(parseSel(failed), mark).progress, 'boot-failed');
  });
});
