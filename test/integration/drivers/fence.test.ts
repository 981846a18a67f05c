/** fenceHost over the real IPMI driver and ipmi_sim: success only when the BMC reads back off. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Clock, PowerDriver } from '../../../src/env/env.js';
import { fenceHost } from '../../../src/controller/fence.js';
import { IpmiPowerDriver } from '../../../src/drivers/ipmi.js';
import { realClock as wallClock } from '../../../src/env/real/clock.js';
import { startIpmiSim, type IpmiSim } from '../../lab/peers/ipmi-sim.js';
import { expectRrc, hostSpec } from './fixtures.js';

const IPMI_MS = 6000;
/** Long enough for three off commands and their status reads on a loaded machine. */
const STUCK_MS = 20_000;
const MARGIN_MS = 15_000;
describe('fenceHost with ipmi_sim', () => {
  let sim: IpmiSim;
  let power: IpmiPowerDriver;

  before(async () => {
    sim = await startIpmiSim({ password: 'fence-pw', power: 'on' });
    // ipmitool against ipmi_sim took over 1.5 s on a loaded 2-core machine: every bound below is the
    // configured deadline plus a margin, never a tight wall-clock figure.
    power = new IpmiPowerDriver({ resolveSecret: async () => 'fence-pw', timeoutMs: IPMI_MS, retries: 0 });
  });
  after(async () => {
    await sim?.stop();
  });

  const host = () => hostSpec({ bmc: sim.bmc('bmc') });

  test('confirmed off', async () => {
    sim.setPower('on');
    const r = await fenceHost(power, host(), wallClock, { confirmTimeoutMs: 20_000, pollMs: 200 });
    assert.equal(sim.powerState(), 'off');
    assert.equal(r.offAttempts, 1);
    assert.ok(r.statusReads >= 1);
  });

  test('already off: confirmed', async () => {
    sim.setPower('off');
    await fenceHost(power, host(), wallClock, { confirmTimeoutMs: 3000, pollMs: 200 });
  });

  test('stuck on: RRC_ERR_FENCE_UNCONFIRMED, never success', async () => {
    sim.setPower('on');
    sim.setBehaviour({ stuckOn: true });
    try {
      const { err, ms } = await expectRrc(
        fenceHost(power, host(), wallClock, { confirmTimeoutMs: STUCK_MS, pollMs: 200 }),
        ['RRC_ERR_FENCE_UNCONFIRMED'],
      );
      assert.match(err.message, new RegExp(`host h1: not confirmed off within ${STUCK_MS} ms after 3 off command\\(s\\): BMC still reports power on`));
      assert.ok(ms < STUCK_MS + MARGIN_MS, `took ${ms} ms`);
      assert.equal(sim.powerState(), 'on');
      assert.ok(sim.calls().filter((c) => c === 'power 0').length >= 3);
    } finally {
      sim.setBehaviour({ stuckOn: false });
    }
  });

  test('BMC not answering: RRC_ERR_FENCE_UNCONFIRMED with the driver error', async () => {
    sim.setPower('on');
    sim.setBehaviour({ frozen: true });
    try {
      const { err, ms } = await expectRrc(
        fenceHost(power, host(), wallClock, { confirmTimeoutMs: 2000, pollMs: 200 }),
        ['RRC_ERR_FENCE_UNCONFIRMED'],
      );
      // ipmitool gives up by itself (unreachable) or our deadline stops it (timeout), depending on the load.
      assert.match(err.message, /power status failed: RRC_ERR_(DRIVER_TIMEOUT|UNREACHABLE)/);
      assert.ok(ms < 2000 + IPMI_MS + MARGIN_MS, `took ${ms} ms`);
    } finally {
      sim.setBehaviour({ frozen: false });
    }
  });
});

describe('fenceHost on a virtual clock', () => {
  /** A manual clock: sleeping advances time at once, so the wait is bounded by virtual time only. */
  function manualClock(): Clock {
    let now = 0;
    return {
      now: () => now,
      setTimeout: (fn, ms) => {
        now += ms;
        queueMicrotask(fn);
        return 0;
      },
      clearTimeout: () => undefined,
    };
  }

  const fake = (reads: Array<'on' | 'off' | Error>): PowerDriver & { offs: number } => {
    const d = {
      offs: 0,
      status: async () => {
        const r = reads.length > 1 ? reads.shift() : reads[0];
        if (r instanceof Error) throw r;
        return r ?? 'on';
      },
      off: async () => {
        d.offs++;
      },
      on: async () => undefined,
      cycle: async () => undefined,
      reset: async () => undefined,
      setBootDevice: async () => undefined,
    };
    return d;
  };

  test('confirms after a few polls, on a second off read confirmGapMs after the first', async () => {
    // Reads: before the off command, then every poll; the BMC first reads off at 1000 ms.
    const p = fake(['on', 'on', 'off']);
    const r = await fenceHost(p, hostSpec(), manualClock(), { confirmTimeoutMs: 10_000, pollMs: 1000, confirmGapMs: 3000 });
    assert.equal(r.confirmedAt, 1000 + 3000);
    assert.equal(p.offs, 2);
  });

  test('status errors until the deadline: unconfirmed', async () => {
    const p = fake([new Error('boom')]);
    const { err } = await expectRrc(
      fenceHost(p, hostSpec(), manualClock(), { confirmTimeoutMs: 5000, pollMs: 1000 }),
      ['RRC_ERR_FENCE_UNCONFIRMED'],
    );
    assert.match(err.message, /power status failed: boom/);
  });
});
