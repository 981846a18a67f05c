/**
 * Lab steps 1 and 2: the project's real IPMI driver (src/drivers/ipmi.ts, ipmitool lanplus,
 * cipher suite 3) against OpenIPMI's ipmi_sim on 127.0.0.1 (test/lab/peers/ipmi-sim.ts), which
 * this process starts and stops.
 */
import { performance } from 'node:perf_hooks';
import { IpmiPowerDriver } from '../../src/drivers/ipmi.js';
import type { HostSpec } from '../../src/core/types.js';
import { delay } from '../../test/lab/peers/common.js';
import { startIpmiSim } from '../../test/lab/peers/ipmi-sim.js';
import { repeat, type RepeatOptions } from './repeat.js';
import { skippedStep, stepFromOutcome, type LabStepResult, type StepDefinition } from './step-result.js';

export const POWER_STATUS: StepDefinition = {
  name: 'ipmitool-power-status',
  what: 'IpmiPowerDriver.status(): one `ipmitool -I lanplus chassis power status` (fork + exec, RMCP+ session, command, close) against ipmi_sim on 127.0.0.1, wall time of the call',
  note: 'a BMC on a loopback address: no network delay; a real BMC on a management LAN adds its round trips and its own slower CPU',
};

export const POWER_CYCLE: StepDefinition = {
  name: 'ipmitool-power-cycle-to-on',
  what: 'IpmiPowerDriver.cycle() (a `sel elist` to mark the log, then `chassis power cycle`) until ipmi_sim has applied power 0 then power 1 and a driver status read says on',
  note: "ipmi_sim's chassis goes off and back on about 1 s apart by itself; a real server then takes its POST and boot (hostPostSeconds, hostBootSeconds), not measured here",
};

const SECRET = 'bmc-lab-steps';
/** Bound of one wait for ipmi_sim to apply "power 1" after a cycle. */
const CYCLE_WAIT_MS = 15_000;

export async function measureIpmiSteps(opts: RepeatOptions): Promise<LabStepResult[]> {
  let sim;
  try {
    sim = await startIpmiSim({ password: 'lab-steps-pw', power: 'on' });
  } catch (e) {
    const reason = `ipmi_sim did not start: ${e instanceof Error ? e.message : String(e)}`;
    return [skippedStep(POWER_STATUS, reason), skippedStep(POWER_CYCLE, reason)];
  }
  try {
    const host: HostSpec = {
      name: 'lab-h1', role: 'primary', macs: ['52:54:00:10:00:01'], ip: '127.0.0.1', hypervisorUri: 'test:///default',
      capacity: { cores: 4, ramGb: 8, diskTb: 1 }, bmc: sim.bmc(SECRET),
    };
    const password = sim.password;
    // The driver as the service builds it for actions (defaults: 10 s limit, 2 retries on failure).
    const driver = new IpmiPowerDriver({
      resolveSecret: async (ref) => {
        if (ref !== SECRET) throw new Error(`unknown secret ${ref}`);
        return password;
      },
    });
    await driver.status(host); // warm-up: first exec of ipmitool, page cache

    const status = await repeat(POWER_STATUS.name, opts, async () => {
      const t0 = performance.now();
      const state = await driver.status(host);
      const s = (performance.now() - t0) / 1000;
      if (state !== 'on') throw new Error(`ipmi_sim reported ${state}, expected on`);
      return s;
    });

    const cycle = await repeat(POWER_CYCLE.name, opts, async () => {
      if (sim.powerState() !== 'on') sim.setPower('on');
      const before = sim.calls().length;
      const t0 = performance.now();
      await driver.cycle(host);
      const deadline = Date.now() + CYCLE_WAIT_MS;
      for (;;) {
        const calls = sim.calls().slice(before);
        const off = calls.indexOf('power 0');
        if (off >= 0 && calls.indexOf('power 1', off) > off) break;
        if (Date.now() > deadline) throw new Error(`ipmi_sim did not power on within ${CYCLE_WAIT_MS} ms; calls: ${calls.join(', ')}`);
        await delay(20);
      }
      const state = await driver.status(host);
      const s = (performance.now() - t0) / 1000;
      if (state !== 'on') throw new Error(`after the cycle ipmi_sim reported ${state}`);
      return s;
    });
    return [stepFromOutcome(POWER_STATUS, status), stepFromOutcome(POWER_CYCLE, cycle)];
  } finally {
    await sim.stop();
  }
}
