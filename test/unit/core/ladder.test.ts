/** The ladders, the operator's rungs and the rung parameter all derive from the one rung table. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  actionFor,
  EVACUATE_THEN_QUARANTINE_LADDER,
  EVACUATE_THEN_REPAIR_LADDER,
  HOST_LADDER,
  HOST_REPAIR_LADDER,
  IN_PLACE_LADDER,
  ladderFor,
  operatorRungs,
  vmLadder,
} from '../../../src/core/ladder.js';
import { HIGHEST_RUNG, isDestructiveRung, RUNG, RUNG_RANGE, RUNG_TABLE, rungsFor } from '../../../src/core/rungs.js';
import { RungSchema } from '../../../src/api/schemas/target.js';

describe('ladders from the rung table', () => {
  test('a host climbs reboot, hypervisor restart, evacuation, reinstall, then quarantine', () => {
    assert.deepEqual(HOST_LADDER, [RUNG.reboot, RUNG.restartHypervisor, RUNG.fenceMigrate, RUNG.reinstall, RUNG.quarantine]);
    assert.deepEqual(HOST_LADDER, rungsFor('host'));
  });

  test('a VM restarts its service only when its check can', () => {
    assert.deepEqual(vmLadder(true), [RUNG.serviceRestart, RUNG.reboot, RUNG.restartVm, RUNG.fenceMigrate, RUNG.quarantine]);
    assert.deepEqual(vmLadder(false), [RUNG.reboot, RUNG.restartVm, RUNG.fenceMigrate, RUNG.quarantine]);
    assert.deepEqual(ladderFor({ kind: 'vm', canRestartService: false }), vmLadder(false));
    assert.deepEqual(ladderFor({ kind: 'host', canRestartService: true }), HOST_LADDER);
  });

  test('the host ladders of the escalation policy', () => {
    assert.deepEqual(HOST_REPAIR_LADDER, [RUNG.reboot, RUNG.reinstall, RUNG.quarantine]);
    assert.deepEqual(EVACUATE_THEN_REPAIR_LADDER, [RUNG.fenceMigrate, RUNG.reboot, RUNG.reinstall, RUNG.quarantine]);
    assert.deepEqual(EVACUATE_THEN_QUARANTINE_LADDER, [RUNG.fenceMigrate, RUNG.quarantine]);
    assert.deepEqual(IN_PLACE_LADDER, [RUNG.reboot, RUNG.restartHypervisor, RUNG.quarantine], 'no reinstall with VMs aboard');
  });

  test('every ladder ends with the quarantine; the kind ladders climb', () => {
    for (const ladder of [HOST_LADDER, vmLadder(true), vmLadder(false), HOST_REPAIR_LADDER, EVACUATE_THEN_REPAIR_LADDER, IN_PLACE_LADDER]) {
      assert.equal(ladder.at(-1), RUNG.quarantine);
    }
    for (const ladder of [HOST_LADDER, vmLadder(true), HOST_REPAIR_LADDER, IN_PLACE_LADDER]) {
      assert.deepEqual([...ladder].sort((a, b) => a - b), ladder);
    }
  });

  test('an operator may run every rung of its kind but the quarantine', () => {
    assert.deepEqual(operatorRungs('vm'), [RUNG.serviceRestart, RUNG.reboot, RUNG.restartVm, RUNG.fenceMigrate]);
    assert.deepEqual(operatorRungs('host'), [RUNG.reboot, RUNG.restartHypervisor, RUNG.fenceMigrate, RUNG.reinstall]);
  });

  test('each rung of a kind means a concrete action of that kind', () => {
    assert.equal(actionFor('host', RUNG.reboot, 'host-power-off'), 'host-power-on');
    assert.equal(actionFor('host', RUNG.reboot, 'host-unreachable'), 'host-reboot');
    assert.equal(actionFor('vm', RUNG.reboot, 'vm-hung'), 'vm-reboot');
    assert.equal(actionFor('vm', RUNG.fenceMigrate, 'vm-missing'), 'vm-move');
    assert.equal(actionFor('host', RUNG.fenceMigrate, null), 'fence-migrate');
    for (const r of RUNG_TABLE) assert.equal(isDestructiveRung(r.number), r.destructive);
  });
});

describe('the rung parameter', () => {
  test('accepts the table range and the names, nothing else', () => {
    assert.equal(RUNG_RANGE, '0..6');
    assert.equal(RungSchema.parse('fence-migrate'), RUNG.fenceMigrate);
    assert.equal(RungSchema.parse(HIGHEST_RUNG), RUNG.quarantine);
    assert.equal(RungSchema.safeParse(HIGHEST_RUNG + 1).success, false);
    assert.equal(RungSchema.safeParse(-1).success, false);
    assert.equal(RungSchema.safeParse('reboot-twice').success, false);
  });
});
