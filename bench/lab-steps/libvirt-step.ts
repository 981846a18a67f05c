/**
 * Lab step 5: define + start of a domain through the project's libvirt driver
 * (src/drivers/libvirt.ts, the @unraid/libvirt binding) on libvirt's test driver, a `test:///`
 * node file with no domains. The test driver runs in-process and starts nothing, so this is the
 * driver's own cost; a real guest's boot is what guest-boot-direct-kernel stands for.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { HostSpec, VmSpec } from '../../src/core/types.js';
import { LibvirtDriver } from '../../src/drivers/libvirt.js';
import { makeTempDir } from '../../test/lab/peers/common.js';
import { libvirtTestUri, testDomainXml, writeLibvirtTestXml } from '../../test/lab/peers/libvirt-xml.js';
import { repeat, type RepeatOptions } from './repeat.js';
import { skippedStep, stepFromOutcome, type LabStepResult, type StepDefinition } from './step-result.js';

export const DOMAIN_START: StepDefinition = {
  name: 'libvirt-test-domain-start',
  what: 'LibvirtDriver.defineAndStart() of a new domain on libvirt test:/// (lookup by UUID, defineXML, the virsh autostart check, create, state read) until it returns with the domain running',
  note: "libvirt's test driver starts no guest: this is the controller's side of a VM start only; the guest's own boot is what the lab cannot show here (see guest-boot-direct-kernel)",
};

export async function measureLibvirtStep(opts: RepeatOptions): Promise<LabStepResult> {
  const tmp = makeTempDir('lab-steps-libvirt');
  const driver = new LibvirtDriver({ callTimeoutMs: 10_000 });
  try {
    const uri = libvirtTestUri(writeLibvirtTestXml(tmp.dir, { cpus: 8, memoryMb: 16384, domains: [] }));
    const host: HostSpec = {
      name: 'lab-spare', role: 'spare', macs: ['52:54:00:10:00:02'], ip: '127.0.0.1', hypervisorUri: uri,
      capacity: { cores: 8, ramGb: 16, diskTb: 1 },
    };
    const vmFor = (i: number): VmSpec => {
      const uuid = randomUUID();
      const name = `lab-vm-${i}`;
      return {
        name, uuid, domainXml: testDomainXml({ name, uuid, memoryMb: 512, vcpus: 1 }),
        homeHost: host.name, currentHost: host.name, priority: 1, resources: { cores: 1, ramGb: 1, diskGb: 10 },
      };
    };
    try {
      await driver.ping(host); // warm-up: loads the binding, opens the connection
    } catch (e) {
      return skippedStep(DOMAIN_START, `libvirt test:/// does not answer through the driver: ${e instanceof Error ? e.message : String(e)}`);
    }
    const outcome = await repeat(DOMAIN_START.name, opts, async (i) => {
      const vm = vmFor(i);
      const t0 = performance.now();
      await driver.defineAndStart(host, vm);
      const s = (performance.now() - t0) / 1000;
      const state = await driver.domainState(host, vm);
      if (state !== 'running') throw new Error(`domain ${vm.name} is ${state} after defineAndStart`);
      // Not timed: leave the node as it was.
      await driver.destroy(host, vm);
      await driver.undefine(host, vm);
      return s;
    });
    return stepFromOutcome(DOMAIN_START, outcome);
  } finally {
    await driver.close();
    tmp.remove();
  }
}
