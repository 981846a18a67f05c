/**
 * The real peers of the probe-scale bench, started on 127.0.0.1 by this process and stopped at
 * the end (test/lab): ipmi_sim (the BMC), the test sshd (TCP and SSH checks), libvirt's test:///
 * driver over an XML node file; and the project's real drivers pointed at them, as the service
 * builds them (createRealEnv: one BMC attempt per probe, a cached libvirt connection, one SSH
 * connection per command).
 */
import { IpmiPowerDriver } from '../../src/drivers/ipmi.js';
import { LibvirtDriver } from '../../src/drivers/libvirt.js';
import { SshShell } from '../../src/drivers/ssh.js';
import { secretResolver } from '../../src/env/real/secrets.js';
import type { HostSpec, VmSpec } from '../../src/core/types.js';
import { makeTempDir } from '../../test/lab/peers/common.js';
import { startIpmiSim, type IpmiSim } from '../../test/lab/peers/ipmi-sim.js';
import { libvirtTestUri, writeLibvirtTestXml } from '../../test/lab/peers/libvirt-xml.js';
import { startSshd, type Sshd } from '../../test/lab/peers/sshd.js';

export const VM_UUID = '00000000-0000-4000-8000-0000000000b1';

export interface ProbeLab {
  sim: IpmiSim;
  sshd: Sshd;
  host: HostSpec;
  vm: VmSpec;
  power: IpmiPowerDriver;
  libvirt: LibvirtDriver;
  shell: SshShell;
  resolveSecret: (ref: string) => Promise<string>;
  stop(): Promise<void>;
}

export async function startProbeLab(): Promise<ProbeLab> {
  const tmp = makeTempDir('probe-scale');
  const password = 'scale-pw';
  const [sim, sshd] = await Promise.all([startIpmiSim({ password }), startSshd()]);
  const uri = libvirtTestUri(writeLibvirtTestXml(tmp.dir, { cpus: 4, memoryMb: 4096, domains: [{ name: 'vm1', uuid: VM_UUID }] }));
  const resolveSecret = secretResolver({ bmc: { env: 'P' }, key: { file: sshd.userKeyPath } }, { P: password });
  const host: HostSpec = {
    name: 'h1', role: 'primary', macs: ['52:54:00:00:00:01'], ip: '127.0.0.1', hypervisorUri: uri,
    capacity: { cores: 8, ramGb: 16, diskTb: 1 }, bmc: sim.bmc('bmc'), ssh: sshd.sshSpec('key'),
  };
  const vm: VmSpec = {
    name: 'vm1', uuid: VM_UUID, homeHost: 'h1', currentHost: 'h1', priority: 1, resources: { cores: 1, ramGb: 1, diskGb: 10 },
    guestAddress: `127.0.0.1:${sshd.port}`, serviceCheck: { kind: 'tcp', port: sshd.port },
  };
  // As createRealEnv builds the probe's BMC driver: one attempt, bounded by the probe deadline.
  const power = new IpmiPowerDriver({ resolveSecret, retries: 0, timeoutMs: 5000 });
  const libvirt = new LibvirtDriver({ callTimeoutMs: 5000 });
  const shell = new SshShell({ knownHostsFile: sshd.knownHostsFile, resolveSecret });
  return {
    sim, sshd, host, vm, power, libvirt, shell, resolveSecret,
    stop: async () => {
      await Promise.allSettled([sim.stop(), sshd.stop(), libvirt.close()]);
      tmp.remove();
    },
  };
}
