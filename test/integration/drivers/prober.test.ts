/** RealProber over real peers: ipmi_sim, sshd, libvirt test:///, an HTTP server and a hung TCP peer. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { classifyHost, classifyVm } from '../../../src/core/signature.js';
import { IpmiPowerDriver } from '../../../src/drivers/ipmi.js';
import { LibvirtDriver } from '../../../src/drivers/libvirt.js';
import { SshShell } from '../../../src/drivers/ssh.js';
import { RealProber } from '../../../src/env/real/prober.js';
import { secretResolver } from '../../../src/env/real/secrets.js';
import { freeTcpPort, freeUdpPort, makeTempDir } from '../../lab/peers/common.js';
import { startHungTcpServer, type HungTcpServer } from '../../lab/peers/hung-tcp.js';
import { startIpmiSim, type IpmiSim } from '../../lab/peers/ipmi-sim.js';
import { libvirtTestUri, writeLibvirtTestXml } from '../../lab/peers/libvirt-xml.js';
import { startSshd, type Sshd } from '../../lab/peers/sshd.js';
import { hostSpec, vmSpec } from './fixtures.js';

const UUID = '00000000-0000-4000-8000-0000000000a1';

describe('RealProber against real peers', () => {
  let sim: IpmiSim;
  let sshd: Sshd;
  let hung: HungTcpServer;
  let http: Server;
  let httpPort: number;
  let uri: string;
  let prober: RealProber;
  let libvirt: LibvirtDriver;
  /**
   * Generous enough that a healthy peer answers on a loaded 2-core CI machine (ipmitool and ssh
   * under load took over 1.5 s); a dead or hung one still ends within its timeout, and the
   * "bounded" checks allow the longest timeout plus a margin, not a tight wall-clock figure.
   */
  const T = { bmcMs: 8000, tcpMs: 5000, sshMs: 8000, libvirtMs: 8000, guestMs: 5000, serviceMs: 8000 };
  const BOUNDED_MS = 8000 + 15_000;
  const tmp = makeTempDir('prober');

  before(async () => {
    [sim, sshd, hung] = await Promise.all([startIpmiSim({ password: 'probe-pw' }), startSshd(), startHungTcpServer()]);
    http = createServer((req, res) => {
      res.statusCode = req.url === '/health' ? 200 : 503;
      res.end('x');
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    httpPort = (http.address() as { port: number }).port;
    uri = libvirtTestUri(writeLibvirtTestXml(tmp.dir, { cpus: 4, memoryMb: 4096, domains: [{ name: 'vm1', uuid: UUID }] }));
    const resolveSecret = secretResolver({ bmc: { env: 'P' }, key: { file: sshd.userKeyPath } }, { P: 'probe-pw' });
    libvirt = new LibvirtDriver({ callTimeoutMs: T.libvirtMs });
    prober = new RealProber({
      power: new IpmiPowerDriver({ resolveSecret, retries: 0, timeoutMs: T.bmcMs }),
      hypervisor: libvirt,
      shell: new SshShell({ knownHostsFile: sshd.knownHostsFile, resolveSecret }),
      timeouts: T,
    });
  });
  after(async () => {
    await Promise.all([sim?.stop(), sshd?.stop(), hung?.stop(), libvirt?.close(), new Promise((r) => http?.close(r))]);
    tmp.remove();
  });

  const healthyHost = () =>
    hostSpec({ bmc: sim.bmc('bmc'), ssh: sshd.sshSpec('key'), hypervisorUri: uri });

  test('healthy host', async () => {
    const o = await prober.probeHost(healthyHost());
    assert.deepEqual({ ...o, details: undefined }, {
      bmcReachable: true,
      power: 'on',
      reachable: true,
      shellOk: true,
      hypervisorOk: true,
      details: undefined,
    });
    assert.match(o.details?.bmc ?? '', /power on/);
    assert.equal(classifyHost(o).code, 'ok');
  });

  test('power off is seen through the BMC', async () => {
    sim.setPower('off');
    try {
      const o = await prober.probeHost(healthyHost());
      assert.equal(o.power, 'off');
      assert.equal(classifyHost(o).code, 'host-power-off');
    } finally {
      sim.setPower('on');
    }
  });

  test('everything dead: all false, bounded, never throws', async () => {
    const [udp, tcp] = await Promise.all([freeUdpPort(), freeTcpPort()]);
    const started = Date.now();
    const o = await prober.probeHost(
      hostSpec({
        bmc: { address: '127.0.0.1', port: udp, user: 'admin', secretRef: 'bmc' },
        ssh: { host: '127.0.0.1', port: tcp, user: 'root', keyRef: 'key' },
        hypervisorUri: 'test:///nonexistent/3rc-prober.xml',
      }),
    );
    assert.ok(Date.now() - started < BOUNDED_MS, `took ${Date.now() - started} ms`);
    assert.equal(o.bmcReachable, false);
    assert.equal(o.power, 'unknown');
    assert.equal(o.reachable, false);
    assert.equal(o.shellOk, false);
    assert.equal(o.hypervisorOk, false);
    assert.match(o.details?.tcp ?? '', /ECONNREFUSED/);
    assert.equal(classifyHost(o).code, 'host-and-bmc-unreachable');
  });

  test('installation check over real SSH, only while the hypervisor is down: its failure is host-install-broken', async () => {
    const withCheck = (command: string) =>
      new RealProber({
        power: new IpmiPowerDriver({ resolveSecret: secretResolver({ bmc: { env: 'P' }, key: { file: sshd.userKeyPath } }, { P: 'probe-pw' }), retries: 0, timeoutMs: T.bmcMs }),
        hypervisor: libvirt,
        shell: new SshShell({ knownHostsFile: sshd.knownHostsFile, resolveSecret: secretResolver({ key: { file: sshd.userKeyPath } }, {}) }),
        timeouts: T,
        installCheckCommand: command,
      });
    const noHypervisor = hostSpec({ bmc: sim.bmc('bmc'), ssh: sshd.sshSpec('key'), hypervisorUri: 'test:///nonexistent/3rc-install.xml' });
    const broken = await withCheck('test -e /nonexistent/3rc-libvirtd').probeHost(noHypervisor);
    assert.equal(broken.installOk, false);
    assert.match(broken.details?.install ?? '', /exited 1/);
    assert.equal(classifyHost(broken).code, 'host-install-broken');
    const intact = await withCheck('true').probeHost(noHypervisor);
    assert.equal(intact.installOk, true);
    assert.equal(classifyHost(intact).code, 'hypervisor-down');
    // A healthy hypervisor: the check is not run at all.
    const healthy = await withCheck('false').probeHost(healthyHost());
    assert.equal(healthy.installOk, undefined);
    assert.equal(classifyHost(healthy).code, 'ok');
  });

  test('hung host: TCP accepts, no command runs -> host-os-hung, promptly', async () => {
    const started = Date.now();
    const o = await prober.probeHost(
      hostSpec({ bmc: sim.bmc('bmc'), ssh: { host: '127.0.0.1', port: hung.port, user: 'root', keyRef: 'key' }, hypervisorUri: uri }),
    );
    assert.ok(Date.now() - started < BOUNDED_MS, `took ${Date.now() - started} ms`);
    assert.equal(o.reachable, true);
    assert.equal(o.shellOk, false);
    assert.match(o.details?.ssh ?? '', /RRC_ERR_DRIVER_TIMEOUT/);
    assert.equal(classifyHost(o).code, 'host-os-hung');
  });

  test('misconfiguration is not judged as a hung OS', async () => {
    const o = await prober.probeHost(
      hostSpec({ bmc: sim.bmc('no-such-secret'), ssh: sshd.sshSpec('no-such-secret'), hypervisorUri: uri }),
    );
    assert.equal(o.bmcReachable, null);
    assert.equal(o.shellOk, null);
    assert.match(o.details?.ssh ?? '', /unknown secret ref/);
  });

  test('host without BMC or SSH spec: those probes are null', async () => {
    const o = await prober.probeHost(hostSpec({ hypervisorUri: uri }));
    assert.equal(o.bmcReachable, null);
    assert.equal(o.shellOk, null);
    assert.equal(o.hypervisorOk, true);
  });

  const host = () => healthyHost();

  test('healthy VM with an HTTP check', async () => {
    const vm = vmSpec({
      name: 'vm1',
      uuid: UUID,
      guestAddress: `127.0.0.1:${sshd.port}`,
      serviceCheck: { kind: 'http', port: httpPort, path: '/health' },
    });
    const o = await prober.probeVm(vm, host());
    assert.deepEqual({ ...o, details: undefined }, {
      hypervisorOk: true,
      domain: 'running',
      guestReachable: true,
      serviceOk: true,
      details: undefined,
    });
    assert.equal(classifyVm({ ...o, hostDown: false }).code, 'ok');
  });

  test('service checks: http status, tcp, ssh command', async () => {
    const base = { name: 'vm1', uuid: UUID, guestAddress: `127.0.0.1:${sshd.port}` };
    const bad = await prober.probeVm(vmSpec({ ...base, serviceCheck: { kind: 'http', port: httpPort, path: '/broken' } }), host());
    assert.equal(bad.serviceOk, false);
    assert.match(bad.details?.service ?? '', /-> 503 \(expected 2xx\)/);
    assert.equal(classifyVm({ ...bad, hostDown: false }).code, 'vm-service-dead');
    const expected = await prober.probeVm(
      vmSpec({ ...base, serviceCheck: { kind: 'http', port: httpPort, path: '/broken', expectStatus: 503 } }),
      host(),
    );
    assert.equal(expected.serviceOk, true);
    const closed = await freeTcpPort();
    assert.equal((await prober.probeVm(vmSpec({ ...base, serviceCheck: { kind: 'tcp', port: closed } }), host())).serviceOk, false);
    assert.equal((await prober.probeVm(vmSpec({ ...base, serviceCheck: { kind: 'tcp', port: httpPort } }), host())).serviceOk, true);
    assert.equal((await prober.probeVm(vmSpec({ ...base, serviceCheck: { kind: 'ssh', command: 'true' } }), host())).serviceOk, true);
    const failing = await prober.probeVm(vmSpec({ ...base, serviceCheck: { kind: 'ssh', command: 'echo down >&2; exit 1' } }), host());
    assert.equal(failing.serviceOk, false);
    assert.match(failing.details?.service ?? '', /exit 1: down/);
  });

  test('hung service and hung guest time out promptly', async () => {
    const started = Date.now();
    const o = await prober.probeVm(
      vmSpec({ name: 'vm1', uuid: UUID, guestAddress: `127.0.0.1:${hung.port}`, serviceCheck: { kind: 'http', port: hung.port, path: '/' } }),
      host(),
    );
    assert.ok(Date.now() - started < BOUNDED_MS, `took ${Date.now() - started} ms`);
    assert.equal(o.guestReachable, true); // TCP accepts
    assert.equal(o.serviceOk, false);
    assert.match(o.details?.service ?? '', /RRC_ERR_DRIVER_TIMEOUT/);
  });

  test('missing domain, no guest address, dead hypervisor', async () => {
    const missing = await prober.probeVm(vmSpec({ name: 'ghost', uuid: '00000000-0000-4000-8000-0000000000ff' }), host());
    assert.equal(missing.domain, 'missing');
    assert.equal(missing.guestReachable, false);
    assert.equal(classifyVm({ ...missing, hostDown: false }).code, 'vm-missing');
    const noAddr = await prober.probeVm(vmSpec({ name: 'vm1', uuid: UUID }), host());
    assert.equal(noAddr.guestReachable, true);
    assert.equal(noAddr.serviceOk, null);
    const dead = await prober.probeVm(vmSpec({ name: 'vm1', uuid: UUID }), hostSpec({ hypervisorUri: 'test:///nonexistent/x.xml' }));
    assert.equal(dead.hypervisorOk, false);
    assert.equal(dead.domain, 'unknown');
    assert.equal(classifyVm({ ...dead, hostDown: false }).code, 'vm-hypervisor-down');
  });
});
