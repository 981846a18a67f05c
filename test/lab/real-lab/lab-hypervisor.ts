/**
 * The lab hosts' hypervisors as the controller reaches them. A libvirt `test:///` connection lives
 * inside this process and has no network endpoint, so each host's hypervisor is one test:///
 * connection (its state: defined domains and their states, kept for the whole episode, as a real
 * host keeps its domains across libvirtd restarts) behind a gate that answers like the remote
 * endpoint of that host would:
 *
 *   host up, libvirtd up      calls go through
 *   host up, libvirtd down    "Connection refused" on connect, "Connection reset by peer" on an open connection
 *   host off, booting, hung   no answer: the call waits (the driver's own deadline ends it), as
 *                             a connect to a silent address does; it fails after 30 s if nobody waits
 *   libvirtd restarted, host halted or rebooted since the connection was opened: the connection is
 *                             broken ("Connection reset by peer"), the driver drops it and reconnects
 *
 * The errors are the texts libvirt gives, so the real driver (src/drivers/libvirt.ts) maps them
 * with its own rules. Every domain start and stop is reported to the machines (a guest boots when
 * its domain starts).
 */
import type { DomainHandle, LibvirtConnect, LibvirtConnection } from '../../../src/drivers/libvirt.js';
import type { LabHostMachine, LabMachines } from './lab-machines.js';

const REFUSED = "Failed to connect socket to '/var/run/libvirt/libvirt-sock': Connection refused";
const BROKEN = 'Cannot recv data: Connection reset by peer';
const SILENT_MS = 30_000;

/** A call to a host that is not there: no answer; a timeout error long after any caller's deadline. */
function silent(): Promise<never> {
  return new Promise((_, reject) => {
    setTimeout(() => reject(new Error('unable to connect to server: Connection timed out')), SILENT_MS).unref();
  });
}

class GatedConnection implements LibvirtConnection {
  private epoch: number | null = null;

  constructor(
    private readonly host: LabHostMachine,
    private readonly machines: LabMachines,
  ) {}

  async connectOpen(): Promise<void> {
    const gate = this.host.gate();
    if (gate === 'refused') throw new Error(REFUSED);
    if (gate !== 'up') return silent();
    this.epoch = this.host.hvEpoch;
  }

  async connectClose(): Promise<void> {
    this.epoch = null;
  }

  /** The hypervisor's connection when this one still works; otherwise how the call fails. */
  private async conn(): Promise<LibvirtConnection> {
    if (this.epoch === null) throw new Error('internal error: client socket is closed');
    const gate = this.host.gate();
    if (gate === 'off' || gate === 'hung') return silent();
    if (gate !== 'up' || this.epoch !== this.host.hvEpoch) {
      this.epoch = null;
      throw new Error(BROKEN);
    }
    return this.host.conn;
  }

  connectGetHostname = async () => (await this.conn(), this.host.name);
  connectListAllDomains = async () => (await this.conn()).connectListAllDomains();
  domainLookupByName = async (name: string) => (await this.conn()).domainLookupByName(name);
  domainLookupByUUIDString = async (uuid: string) => (await this.conn()).domainLookupByUUIDString(uuid);
  domainDefineXML = async (xml: string) => (await this.conn()).domainDefineXML(xml);
  domainUndefine = async (d: DomainHandle) => (await this.conn()).domainUndefine(d);
  domainResume = async (d: DomainHandle) => (await this.conn()).domainResume(d);
  domainGetInfo = async (d: DomainHandle) => (await this.conn()).domainGetInfo(d);
  domainGetName = async (d: DomainHandle) => (await this.conn()).domainGetName(d);
  domainGetUUIDString = async (d: DomainHandle) => (await this.conn()).domainGetUUIDString(d);
  nodeGetInfo = async () => (await this.conn()).nodeGetInfo();

  domainCreate = async (d: DomainHandle): Promise<void> => {
    const conn = await this.conn();
    await conn.domainCreate(d);
    await this.machines.domainStarted(this.host.name, await conn.domainGetName(d));
  };

  domainDestroy = async (d: DomainHandle): Promise<void> => {
    const conn = await this.conn();
    await conn.domainDestroy(d);
    await this.machines.domainStopped(this.host.name, await conn.domainGetName(d));
  };

  domainShutdown = async (d: DomainHandle): Promise<void> => {
    const conn = await this.conn();
    await conn.domainShutdown(d);
    await this.machines.domainStopped(this.host.name, await conn.domainGetName(d));
  };
}

/** The controller's LibvirtConnect for the lab: URI -> that host's gated hypervisor. */
export function labConnect(machines: LabMachines, hostByUri: ReadonlyMap<string, string>): LibvirtConnect {
  return async (uri) => {
    const name = hostByUri.get(uri);
    const host = name === undefined ? undefined : machines.hosts.get(name);
    if (!host) throw new Error(`unable to connect to server: no lab host for ${uri}`);
    return new GatedConnection(host, machines);
  };
}
