/** `3rc host add|list|show|remove|confirm-off`. Other host verbs live in their own files. */
import type { Command } from 'commander';
import { HostSpecSchema, type HostOut } from '../../api/schemas/host.js';
import type { TargetStatusOut } from '../../api/schemas/target.js';
import type { VmOut } from '../../api/schemas/vm.js';
import { seg } from '../client.js';
import { clientOf, collect, group, intArg, numberArg, wantsJson } from '../context.js';
import { usageError } from '../errors.js';
import { age, keyValues, print, printJson, shortTime, table } from '../output.js';
import { compact, readSpecFile, validateSpec } from '../spec-input.js';
import { statusLine } from './status.js';

interface HostDetail {
  host: HostOut;
  status: TargetStatusOut | null;
  vms: VmOut[];
}

interface AddFlags {
  file?: string;
  name?: string;
  role?: string;
  mac?: string[];
  ip?: string;
  bmcAddress?: string;
  bmcPort?: number;
  bmcUser?: string;
  bmcSecret?: string;
  hypervisorUri?: string;
  sshHost?: string;
  sshPort?: number;
  sshUser?: string;
  sshKey?: string;
  cores?: number;
  ramGb?: number;
  diskTb?: number;
  json?: boolean;
}

/** Key path in HostSpec -> the flag that sets it, for error messages. */
const HOST_FLAGS: Record<string, string> = {
  name: '--name', role: '--role', macs: '--mac', ip: '--ip', hypervisorUri: '--hypervisor-uri',
  bmc: '--bmc-*', 'bmc.address': '--bmc-address', 'bmc.port': '--bmc-port', 'bmc.user': '--bmc-user', 'bmc.secretRef': '--bmc-secret',
  ssh: '--ssh-*', 'ssh.host': '--ssh-host', 'ssh.port': '--ssh-port', 'ssh.user': '--ssh-user', 'ssh.keyRef': '--ssh-key',
  capacity: '--cores/--ram-gb/--disk-tb', 'capacity.cores': '--cores', 'capacity.ramGb': '--ram-gb', 'capacity.diskTb': '--disk-tb',
};

function specFromFlags(f: AddFlags): unknown {
  return compact({
    name: f.name,
    role: f.role ?? 'primary',
    macs: f.mac,
    ip: f.ip,
    bmc: { address: f.bmcAddress, port: f.bmcPort, user: f.bmcUser, secretRef: f.bmcSecret },
    hypervisorUri: f.hypervisorUri,
    ssh: { host: f.sshHost, port: f.sshPort, user: f.sshUser, keyRef: f.sshKey },
    capacity: { cores: f.cores, ramGb: f.ramGb, diskTb: f.diskTb },
  });
}

export function hostSpecFromOptions(f: AddFlags) {
  const flagged = Object.entries(f).some(([k, v]) => k !== 'file' && k !== 'json' && v !== undefined);
  if (f.file !== undefined) {
    if (flagged) throw usageError('use either --file or the spec flags, not both');
    return validateSpec(HostSpecSchema, readSpecFile(f.file), { file: f.file });
  }
  return validateSpec(HostSpecSchema, specFromFlags(f), { flags: HOST_FLAGS });
}

export function registerHostCommands(program: Command): void {
  const host = group(program, 'host', 'manage physical hosts');

  host
    .command('add')
    .description('add a host (from flags or --file host.yaml); validated before it is sent')
    .option('--file <path>', 'YAML or JSON file with the host spec')
    .option('--name <name>', 'host name (DNS label)')
    .option('--role <role>', 'primary or spare (default primary)')
    .option('--mac <mac>', 'NIC MAC address, repeatable', collect)
    .option('--ip <ip>', 'management IP address')
    .option('--bmc-address <addr>', 'BMC (IPMI) address')
    .option('--bmc-port <port>', 'BMC port (default 623)', intArg)
    .option('--bmc-user <user>', 'BMC user')
    .option('--bmc-secret <ref>', 'name of the secret holding the BMC password')
    .option('--hypervisor-uri <uri>', 'libvirt URI, e.g. qemu+ssh://root@hv1/system')
    .option('--ssh-host <addr>', 'SSH address')
    .option('--ssh-port <port>', 'SSH port (default 22)', intArg)
    .option('--ssh-user <user>', 'SSH user')
    .option('--ssh-key <ref>', 'name of the secret holding the SSH key')
    .option('--cores <n>', 'CPU cores', intArg)
    .option('--ram-gb <n>', 'RAM in GB', numberArg)
    .option('--disk-tb <n>', 'disk in TB', numberArg)
    .option('--json', 'print the created record as JSON')
    .action(async (opts: AddFlags, cmd: Command) => {
      const spec = hostSpecFromOptions(opts);
      const rec = await clientOf(cmd).post<HostOut>('/hosts', spec);
      if (wantsJson(cmd)) printJson(rec);
      else print(`added host ${rec.name} (${rec.role}, ${rec.macs.join(', ')})`);
    });

  host
    .command('list')
    .description('list hosts with their state')
    .option('--json', 'print JSON')
    .action(async (_opts: unknown, cmd: Command) => {
      const client = clientOf(cmd);
      const [hosts, status] = await Promise.all([client.get<HostOut[]>('/hosts'), client.get<TargetStatusOut[]>('/status')]);
      if (wantsJson(cmd)) return printJson(hosts);
      if (hosts.length === 0) return print('(no hosts)');
      const phase = new Map(status.map((s) => [s.targetId, s]));
      print(
        table(hosts, [
          { header: 'NAME', value: (h) => h.name },
          { header: 'ROLE', value: (h) => h.role },
          { header: 'PHASE', value: (h) => phase.get(`host:${h.name}`)?.phase },
          { header: 'STATE', value: (h) => h.state },
          { header: 'IP', value: (h) => h.ip },
          { header: 'MACS', value: (h) => h.macs.join(',') },
          { header: 'BMC', value: (h) => (h.bmc ? `${h.bmc.address}:${h.bmc.port}` : null) },
          { header: 'CORES', value: (h) => h.capacity.cores, align: 'right' },
          { header: 'RAM_GB', value: (h) => h.capacity.ramGb, align: 'right' },
        ]),
      );
    });

  host
    .command('show <name>')
    .description('show one host, its state and the VMs on it')
    .option('--json', 'print JSON')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const d = await clientOf(cmd).get<HostDetail>(`/hosts/${seg(name)}`);
      if (wantsJson(cmd)) return printJson(d);
      const h = d.host;
      print(
        keyValues([
          ['name', h.name],
          ['role', h.role],
          ['state', h.state],
          ['phase', d.status ? `${d.status.phase} for ${age(d.status.since)}` : null],
          ['ip', h.ip],
          ['macs', h.macs.join(', ')],
          ['bmc', h.bmc ? `${h.bmc.user}@${h.bmc.address}:${h.bmc.port} (secret ${h.bmc.secretRef})` : null],
          ['hypervisor', h.hypervisorUri],
          ['ssh', h.ssh ? `${h.ssh.user}@${h.ssh.host}:${h.ssh.port}${h.ssh.keyRef ? ` (key ${h.ssh.keyRef})` : ''}` : null],
          ['capacity', `${h.capacity.cores} cores, ${h.capacity.ramGb} GB RAM, ${h.capacity.diskTb} TB disk`],
          ['incident', d.status?.incidentId],
          ['reason', d.status?.reason],
          ['added', shortTime(h.createdAt)],
        ]),
      );
      print(d.vms.length === 0 ? '\n(no VMs on this host)' : `\nVMs:\n${table(d.vms, [
        { header: 'NAME', value: (v) => v.name },
        { header: 'HOME', value: (v) => v.homeHost },
        { header: 'PRIO', value: (v) => v.priority, align: 'right' },
        { header: 'CORES', value: (v) => v.resources.cores, align: 'right' },
        { header: 'RAM_GB', value: (v) => v.resources.ramGb, align: 'right' },
      ])}`);
    });

  host
    .command('remove <name>')
    .description('remove a host from the inventory (refused while VMs live on it)')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await clientOf(cmd).delete(`/hosts/${seg(name)}`);
      print(`removed host ${name}`);
    });

  host
    .command('confirm-off <host>')
    .description('confirm by hand that a host is powered off (when its BMC cannot), so its VMs may move')
    .option('--json', 'print the target status as JSON')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const s = await clientOf(cmd).post<TargetStatusOut>(`/hosts/${seg(name)}/confirm-off`);
      if (wantsJson(cmd)) printJson(s);
      else print(statusLine(s));
    });
}
