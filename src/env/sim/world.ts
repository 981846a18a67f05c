/**
 * The simulated rack: physical hosts with BMCs, libvirt domains per host, guests and their
 * services, all moving on the injected clock with seeded timings (timing.ts). The sim Env
 * (sim-env.ts) drives it like the real drivers drive hardware; tests and scenarios break it with
 * fault commands. Modelled after pve-ha-manager's Sim/Hardware.pm.
 *
 * Fault command language (one command per line, `#` starts a comment; parser in fault-plan.ts):
 *
 *   host <h> power-loss      chassis power drops (PSU, PDU, button); every domain on it stops at once.
 *                            The BMC stays up on standby power (add `bmc-dead` for a dead chassis).
 *   host <h> power-on        someone presses the button: POST, boot from disk (or PXE if set)
 *   host <h> shutdown        clean OS shutdown (guests stopped), then power off
 *   host <h> hang            kernel hang: nothing answers, guests freeze; lasts until a power cycle
 *   host <h> overload        load / swap storm: stops answering like `hang`, until a power cycle
 *   host <h> destroy-boot    destructive crash: /boot is gone, the host crashes and every boot ends
 *                            in `broken` (no bootable device) until it is reinstalled over PXE; the
 *                            BMC reports the failed boot (boot progress, sim-probes.ts)
 *   host <h> break-install   a broken installation that still boots (a half-done upgrade, a deleted
 *                            package): libvirtd dies and cannot be restarted, guests keep running,
 *                            the installation check fails, until the host is reinstalled
 *   host <h> partition       network cut controller <-> host only: the controller reaches neither
 *                            the host's OS (TCP, SSH, libvirt) nor its guests; its BMC (own
 *                            management port) still answers; peers and users still reach the host
 *                            and its guests, which keep serving
 *   host <h> heal-partition  that path is back
 *   host <h> isolate         the host's own network is down (NIC, switch port): nobody reaches it,
 *                            not the controller, not its peers, not its guests' users; it keeps
 *                            running, its BMC (own management port) still answers
 *   host <h> heal-isolate    its network is back
 *   host <h> bmc-dead        the BMC answers nothing (calls fail as unreachable after the timeout)
 *   host <h> bmc-hung        the BMC accepts connections but never replies (calls time out)
 *   host <h> bmc-ok          the BMC works again
 *   host <h> bmc-lies-off    the BMC reports power off (and boot progress `off`) and accepts power
 *                            and boot-device commands without effect; the host keeps running
 *   host <h> bmc-honest      the BMC tells the truth and acts again
 *   controller partition     the controller's OWN network is cut from every host, BMC and guest:
 *                            every probe and driver call it makes fails as unreachable; hosts,
 *                            BMCs and VMs are fine, keep serving and still reach each other
 *   controller heal          the controller's network is back
 *   hypervisor <h> crash     libvirtd dies; running guests keep running (their qemu processes live)
 *   vm <v> panic             guest kernel panic: domain `crashed` (pvpanic device, on_crash=preserve)
 *   vm <v> hang              guest hangs: domain `running`, the guest answers nothing
 *   vm <v> service-dead      the VM's service stops; the guest still answers
 *   vm <v> destroy           the domain is forced off (`virsh destroy`): `shutoff`
 *   vm <v> undefine          the domain definition is removed (`missing`)
 *   delay <seconds>          wait on the virtual clock before the next command
 *
 * Who reaches whom (world-state.ts): `hostAnswers` is the controller's view (cut by `partition`,
 * `isolate` and `controller partition`), `hostOnNetwork` / `peerReaches` the peers' and users'
 * view (cut by `isolate` only), `bmcSeen` / `bmcPower` what the controller reads from a BMC.
 * `serving(kind, name)` is the ground truth a scenario checker asks: a host serves when powered,
 * OS and hypervisor up and not isolated; a VM when a running copy has guest and service up on a
 * powered, OS-up, not isolated host (libvirtd may be down). Partitions never stop serving.
 *
 * Watchdog (option `watchdogSeconds`, default none): a powered-on host that loses contact while
 * it runs guests is reset `watchdogSeconds` after contact was lost (the same host event that lost
 * contact arms it; contact back, power off or no live guest left disarms it). The reset is a power
 * cycle ("watchdog reset"): every domain stops, the host boots. What counts as contact
 * (`watchdogContact`):
 * - `storage` (default; sanlock + wdmd): hung, overloaded, partitioned or isolated hosts lose
 *   their storage lease (a `controller partition` leaves the storage network alone);
 * - `cluster` (3RC's agent, kickstart/rrc-watchdog.sh): fed while the host reaches the controller
 *   or a majority of its peers, so only a host off the network (hung, overloaded, isolated) is
 *   reset; one cut from the controller alone still reaches its peers and is not.
 *
 * `vm` commands hit every live copy of the VM (see runningCopies). Aliases in the style of
 * STYLE.md / Hardware.pm: `power <h> off|on` = power-loss|power-on, `ipmi <h> timeout|dead|ok` =
 * bmc-hung|bmc-dead|bmc-ok. Flapping is repeated commands with delays in between.
 *
 * Host life cycle: power on -> OS `booting` -> `up` (hypervisor up) after hostBootSeconds; domains
 * defined there come back `shutoff` unless marked autostart. A one-shot PXE boot device turns the
 * next boot into an install: POST, dhcp, tftp, http, kickstart (disk wiped: no domains, no /boot),
 * install, reboot from disk, then the firstboot `callback`. Pending completions are tied to an
 * epoch, so a power loss in the middle of a boot cancels it.
 */
import { RrcError } from '../../errors.js';
import type { TimingName } from './timing.js';
import { WorldState } from './world-state.js';
import type { FaultCommand, HostFault, PxePhase, SimHost, VmFault, WatchdogContact, WorldOptions } from './world-types.js';

/** Domain states whose qemu process holds the VM's storage lease. */
const LEASE_STATES: ReadonlySet<string> = new Set(['running', 'paused', 'crashed']);

export type * from './world-types.js';

export function createWorld(opts: WorldOptions): World {
  return new World(opts);
}

/** The simulated rack: see the command language above. State and domain operations: WorldState. */
export class World extends WorldState {
  /** Seconds, or null: no watchdog (see the header). */
  readonly watchdogSeconds: number | null;
  readonly watchdogContact: WatchdogContact;
  /** Host name -> token of its armed watchdog timer. */
  private readonly watchdogArmed = new Map<string, number>();
  private watchdogSeq = 0;
  /** Watchdog resets performed (for benches and tests). */
  watchdogResets = 0;

  constructor(opts: WorldOptions) {
    super(opts);
    const seconds = opts.watchdogSeconds ?? null;
    if (seconds !== null && !(Number.isFinite(seconds) && seconds > 0)) {
      throw new RrcError('RRC_ERR_CONFIG_INVALID', `watchdogSeconds must be a positive number or null, not ${seconds}`);
    }
    this.watchdogSeconds = seconds;
    this.watchdogContact = opts.watchdogContact ?? 'storage';
  }

  // --- hardware: chassis power (BMC) and the OS ----------------------------------------------------

  powerOn(name: string): void {
    const h = this.requireHost(name);
    if (h.power === 'on') return;
    h.power = 'on';
    this.boot(h, 0, 'power on');
  }

  powerOff(name: string, why = 'power off'): void {
    const h = this.requireHost(name);
    if (h.power === 'off') return;
    this.halt(h);
    h.power = 'off';
    this.emit(h, why);
  }

  /** Chassis power cycle / hard reset: the OS dies at once and the server boots again. */
  powerCycle(name: string, why = 'power cycle'): void {
    const h = this.requireHost(name);
    if (h.power === 'off') return this.powerOn(name);
    this.halt(h);
    this.boot(h, 0, why);
  }

  /** What the next PXE install of `name` puts on its disk (the provisioner's install profile). */
  setNextInstall(name: string, template: string): void {
    this.requireHost(name).nextInstallTemplate = template;
  }

  setBootDevice(name: string, device: 'disk' | 'pxe'): void {
    this.requireHost(name).bootDevice = device;
  }

  /** Clean reboot from inside the OS (`systemctl reboot`): shutdown, then POST and boot. */
  rebootOs(name: string): void {
    const h = this.requireHost(name);
    if (h.os !== 'up') return;
    this.halt(h);
    this.boot(h, this.sample('hostShutdownSeconds'), 'os reboot');
  }

  /** `systemctl restart libvirtd`; returns how long until it answers again. Guests keep running. */
  restartHypervisor(name: string): number {
    const h = this.requireHost(name);
    const ms = this.sample('hypervisorRestartSeconds');
    this.setHypervisor(h, 'down', 'hypervisor restarting');
    this.after(h, ms, () => (h.installBroken ? this.emit(h, 'hypervisor failed to start (broken installation)') : this.setHypervisor(h, 'up', 'hypervisor up')));
    return ms;
  }

  // --- faults --------------------------------------------------------------------------------------

  applyFault(cmd: FaultCommand): void {
    switch (cmd.kind) {
      case 'host':
        return this.hostFault(cmd.host, cmd.fault);
      case 'hypervisor':
        return this.crashHypervisor(cmd.host);
      case 'vm':
        return this.vmFault(cmd.vm, cmd.fault);
      case 'controller':
        return this.controllerFault(cmd.fault === 'partition');
      case 'delay':
        throw new RrcError('RRC_ERR_VALIDATION', '`delay` needs a runner (runFaultScript), not applyFault');
    }
  }

  hostFault(name: string, fault: HostFault): void {
    const h = this.requireHost(name);
    switch (fault) {
      case 'power-loss':
        return this.powerOff(name, 'power loss');
      case 'power-on':
        return this.powerOn(name);
      case 'shutdown':
        if (h.power === 'off') return;
        this.halt(h);
        this.emit(h, 'shutting down');
        return this.after(h, this.sample('hostShutdownSeconds'), () => this.powerOff(name, 'shut down, power off'));
      case 'hang':
      case 'overload':
        if (h.power === 'off' || h.os === 'down') return;
        h.epoch++; // a boot in progress never completes
        h.os = 'hung';
        h.overloaded = fault === 'overload';
        return this.emit(h, fault === 'hang' ? 'os hung' : 'overloaded, not answering');
      case 'break-install':
        h.installBroken = true;
        if (h.os === 'up') this.setHypervisor(h, 'down', 'installation broken: hypervisor died');
        return this.emit(h, 'installation broken');
      case 'destroy-boot':
        h.bootDestroyed = true;
        if (h.power === 'on') {
          this.halt(h);
          h.os = 'broken';
        }
        return this.emit(h, '/boot destroyed');
      case 'partition':
      case 'heal-partition':
        h.partitioned = fault === 'partition';
        return this.emit(h, h.partitioned ? 'network partitioned' : 'network healed');
      case 'isolate':
      case 'heal-isolate':
        h.isolated = fault === 'isolate';
        return this.emit(h, h.isolated ? 'network isolated' : 'network back');
      case 'bmc-lies-off':
      case 'bmc-honest':
        h.bmcLiesOff = fault === 'bmc-lies-off';
        return this.emit(h, h.bmcLiesOff ? 'bmc reports power off (lying)' : 'bmc honest');
      case 'bmc-dead':
      case 'bmc-hung':
      case 'bmc-ok':
        h.bmc = fault === 'bmc-dead' ? 'dead' : fault === 'bmc-hung' ? 'hung' : 'ok';
        return this.emit(h, `bmc ${h.bmc}`);
    }
  }

  /**
   * The controller's own network goes down or comes back. Every host gets an event, since what
   * every probe reads changes (the probes' change hints key on host events).
   */
  controllerFault(cut: boolean): void {
    this.controllerCut = cut;
    for (const name of this.hostNames()) {
      this.emit(this.requireHost(name), cut ? "controller's network cut" : "controller's network back");
    }
  }

  /** libvirtd dies; the guests' qemu processes keep running. */
  crashHypervisor(name: string): void {
    const h = this.requireHost(name);
    if (h.os === 'up') this.setHypervisor(h, 'down', 'hypervisor crashed');
  }

  vmFault(vm: string, fault: VmFault): void {
    this.vmSpec(vm); // unknown names are typos in a scenario: fail loudly
    // `undefine` also reaches stopped definitions; the others hit live copies only.
    const hosts =
      fault === 'undefine' ? this.hostNames().filter((h) => this.hosts.get(h)?.domains.has(vm)) : this.runningCopies(vm);
    for (const hostName of hosts) {
      const h = this.requireHost(hostName);
      const d = this.requireDomain(h, vm);
      switch (fault) {
        case 'panic':
          d.epoch++;
          d.state = 'crashed';
          this.setGuest(h, d, 'panicked');
          break;
        case 'hang':
          d.epoch++;
          this.setGuest(h, d, 'hung');
          break;
        case 'service-dead':
          d.service = 'down';
          this.emitDomain(h, d, 'service down');
          break;
        case 'destroy':
          this.stopDomain(h, d, 'destroyed');
          break;
        case 'undefine':
          d.transient = true;
          this.stopDomain(h, d, 'undefined and stopped');
          break;
      }
    }
  }

  // --- watchdog --------------------------------------------------------------------------------------

  /** Every host event re-evaluates the host's watchdog. */
  protected override emit(h: SimHost, change: string, pxe?: PxePhase): void {
    super.emit(h, change, pxe);
    if (this.watchdogSeconds) this.checkWatchdog(h); // unset while the base constructor runs
  }

  /** Powered on, lost contact (see the header), still running guests. */
  private losingLeases(h: SimHost): boolean {
    if (h.power !== 'on') return false;
    const onNetwork = this.hostOnNetwork(h.spec.name);
    if (this.watchdogContact === 'cluster' ? onNetwork : onNetwork && !h.partitioned) return false;
    for (const d of h.domains.values()) if (LEASE_STATES.has(d.state)) return true;
    return false;
  }

  private checkWatchdog(h: SimHost): void {
    const name = h.spec.name;
    if (!this.losingLeases(h)) {
      this.watchdogArmed.delete(name);
      return;
    }
    if (this.watchdogArmed.has(name)) return;
    const token = ++this.watchdogSeq;
    this.watchdogArmed.set(name, token);
    this.clock.setTimeout(() => {
      if (this.watchdogArmed.get(name) !== token) return;
      this.watchdogArmed.delete(name);
      if (!this.losingLeases(h)) return;
      this.watchdogResets++;
      this.powerCycle(name, 'watchdog reset (storage lease lost)');
    }, (this.watchdogSeconds ?? 0) * 1000);
  }

  // --- host life cycle -------------------------------------------------------------------------------

  /** The OS stops at once: every domain dies, pending completions are cancelled. */
  private halt(h: SimHost): void {
    h.epoch++;
    h.os = 'down';
    h.hypervisor = 'down';
    h.overloaded = false;
    for (const d of [...h.domains.values()]) if (d.state !== 'shutoff') this.stopDomain(h, d, 'stopped with its host');
  }

  /** POST + boot from disk, or the PXE install if the one-shot boot device says so. */
  private boot(h: SimHost, delayMs: number, why: string): void {
    h.epoch++;
    if (h.bootDevice === 'pxe') {
      h.bootDevice = 'disk';
      h.os = 'installing';
      this.emit(h, `${why}, PXE boot`);
      return this.pxeInstall(h, delayMs + this.sample('hostPostSeconds'));
    }
    h.os = 'booting';
    this.emit(h, `${why}, booting`);
    this.after(h, delayMs + this.sample('hostBootSeconds'), () => this.bootFinished(h));
  }

  private bootFinished(h: SimHost, afterInstall = false): void {
    if (h.bootDestroyed) {
      h.os = 'broken';
      return this.emit(h, 'boot failed: no bootable device');
    }
    h.os = 'up';
    h.hypervisor = h.installBroken ? 'down' : 'up';
    this.emit(h, h.installBroken ? 'os up, hypervisor failed to start (broken installation)' : 'os up, hypervisor up');
    for (const d of h.domains.values()) {
      if (!d.autostart) continue;
      try {
        this.startDomain(h.spec.name, d.vm);
      } catch (e) {
        this.emitDomain(h, d, `autostart failed: ${(e as Error).message}`);
      }
    }
    if (afterInstall) this.emitPxe(h, 'callback');
  }

  /** The PXE phases in order; each milestone is reported at the end of its phase. */
  private pxeInstall(h: SimHost, postMs: number): void {
    const phases: [PxePhase, TimingName][] = [
      ['dhcp', 'dhcpSeconds'], ['tftp', 'tftpSeconds'], ['http', 'httpSeconds'], ['kickstart', 'kickstartSeconds'],
    ];
    const step = (i: number, delayMs: number): void =>
      this.after(h, delayMs, () => {
        const [phase] = phases[i]!;
        if (phase === 'kickstart') this.wipeDisk(h);
        this.emitPxe(h, phase);
        const next = phases[i + 1];
        if (next) step(i + 1, this.sample(next[1]));
        else this.install(h);
      });
    step(0, postMs + this.sample('dhcpSeconds'));
  }

  /** The installer repartitions: old domain definitions and the boot loader are gone. */
  private wipeDisk(h: SimHost): void {
    h.bootDestroyed = true; // until the install completes, the disk holds no bootable system
    h.domains.clear();
    this.emit(h, 'disk wiped by the installer');
  }

  private install(h: SimHost): void {
    this.after(h, this.sample('installSeconds'), () => {
      h.bootDestroyed = false;
      h.installBroken = false;
      h.installedTemplate = h.nextInstallTemplate;
      h.nextInstallTemplate = 'default';
      h.os = 'booting';
      this.emit(h, `installed${h.installedTemplate === 'default' ? '' : ` (${h.installedTemplate})`}, rebooting from disk`);
      this.after(h, this.sample('hostBootSeconds'), () => this.bootFinished(h, true));
    });
  }
}
