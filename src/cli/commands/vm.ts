/** `3rc vm add|list|show|remove`. Other VM verbs (reboot, restart, move) live in their own files. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { TargetStatusOut } from '../../api/schemas/target.js';
import { VmSpecSchema, type VmOut } from '../../api/schemas/vm.js';
import type { ServiceCheck } from '../../core/types.js';
import { seg } from '../client.js';
import { clientOf, group, intArg, numberArg, wantsJson } from '../context.js';
import { usageError } from '../errors.js';
import { age, keyValues, print, printJson, shortTime, table } from '../output.js';
import { compact, readSpecFile, validateSpec } from '../spec-input.js';

interface AddFlags {
  file?: string;
  name?: string;
  uuid?: string;
  homeHost?: string;
  currentHost?: string;
  priority?: number;
  diskPath?: string;
  domainXml?: string;
  template?: string;
  cores?: number;
  ramGb?: number;
  diskGb?: number;
  guestAddress?: string;
  check?: string;
  restartCommand?: string;
  sshHost?: string;
  sshPort?: number;
  sshUser?: string;
  sshKey?: string;
  json?: boolean;
}

const VM_FLAGS: Record<string, string> = {
  name: '--name', uuid: '--uuid', homeHost: '--home-host', currentHost: '--current-host', priority: '--priority',
  diskPath: '--disk-path', domainXml: '--domain-xml', template: '--template', guestAddress: '--guest-address',
  resources: '--cores/--ram-gb/--disk-gb', 'resources.cores': '--cores', 'resources.ramGb': '--ram-gb', 'resources.diskGb': '--disk-gb',
  serviceCheck: '--check', 'serviceCheck.restartCommand': '--restart-command',
  ssh: '--ssh-*', 'ssh.host': '--ssh-host', 'ssh.port': '--ssh-port', 'ssh.user': '--ssh-user', 'ssh.keyRef': '--ssh-key',
};

const CHECK_HELP = 'tcp:<port> | http:<port>[/path][=status] | ssh:<command>';

/** `tcp:5432`, `http:80/healthz=200`, `ssh:systemctl is-active app`. */
export function parseCheck(text: string, restartCommand?: string): ServiceCheck {
  const extra = restartCommand === undefined ? {} : { restartCommand };
  let m = /^tcp:(\d+)$/.exec(text);
  if (m) return { kind: 'tcp', port: Number(m[1]), ...extra };
  m = /^http:(\d+)(\/[^=]*)?(?:=(\d{3}))?$/.exec(text);
  if (m) {
    return { kind: 'http', port: Number(m[1]), path: m[2] ?? '/', ...(m[3] ? { expectStatus: Number(m[3]) } : {}), ...extra };
  }
  m = /^ssh:(.+)$/.exec(text);
  if (m) return { kind: 'ssh', command: m[1] as string, ...extra };
  throw usageError(`--check: expected ${CHECK_HELP}, got "${text}"`);
}

function specFromFlags(f: AddFlags): unknown {
  if (f.restartCommand !== undefined && f.check === undefined) throw usageError('--restart-command needs --check');
  let domainXml: string | undefined;
  if (f.domainXml !== undefined) {
    try {
      domainXml = readFileSync(f.domainXml, 'utf8');
    } catch (e) {
      throw usageError(`--domain-xml: cannot read ${f.domainXml} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return compact({
    name: f.name,
    uuid: f.uuid,
    domainXml,
    template: f.template,
    homeHost: f.homeHost,
    currentHost: f.currentHost,
    priority: f.priority,
    diskPath: f.diskPath,
    resources: { cores: f.cores, ramGb: f.ramGb, diskGb: f.diskGb },
    guestAddress: f.guestAddress,
    ssh: { host: f.sshHost, port: f.sshPort, user: f.sshUser, keyRef: f.sshKey },
    serviceCheck: f.check === undefined ? undefined : parseCheck(f.check, f.restartCommand),
  });
}

export function vmSpecFromOptions(f: AddFlags) {
  const flagged = Object.entries(f).some(([k, v]) => k !== 'file' && k !== 'json' && v !== undefined);
  if (f.file !== undefined) {
    if (flagged) throw usageError('use either --file or the spec flags, not both');
    return validateSpec(VmSpecSchema, readSpecFile(f.file), { file: f.file });
  }
  return validateSpec(VmSpecSchema, specFromFlags(f), { flags: VM_FLAGS });
}

const checkText = (v: VmOut): string | null => {
  const c = v.serviceCheck;
  if (!c) return null;
  if (c.kind === 'http') return `http:${c.port}${c.path}`;
  return c.kind === 'tcp' ? `tcp:${c.port}` : 'ssh';
};

export function registerVmCommands(program: Command): void {
  const vm = group(program, 'vm', 'manage virtual machines');

  vm.command('add')
    .description('add a VM (from flags or --file vm.yaml); validated before it is sent')
    .option('--file <path>', 'YAML or JSON file with the VM spec')
    .option('--name <name>', 'VM (libvirt domain) name')
    .option('--uuid <uuid>', 'libvirt domain UUID')
    .option('--home-host <host>', 'host the VM normally runs on')
    .option('--current-host <host>', 'host it runs on now (default: home host)')
    .option('--priority <n>', 'higher first when spare capacity is short (default 0)', intArg)
    .option('--disk-path <path>', 'disk on shared storage')
    .option('--domain-xml <file>', 'libvirt domain XML, kept to start the VM elsewhere')
    .option('--template <name>', 'template to rebuild the VM from')
    .option('--cores <n>', 'vCPUs', intArg)
    .option('--ram-gb <n>', 'RAM in GB', numberArg)
    .option('--disk-gb <n>', 'disk in GB', numberArg)
    .option('--guest-address <addr>', 'address the guest answers on')
    .option('--check <check>', `service check: ${CHECK_HELP}`)
    .option('--restart-command <cmd>', 'command that restarts the checked service (run over SSH)')
    .option('--ssh-host <addr>', 'guest SSH address')
    .option('--ssh-port <port>', 'guest SSH port (default 22)', intArg)
    .option('--ssh-user <user>', 'guest SSH user')
    .option('--ssh-key <ref>', 'name of the secret holding the SSH key')
    .option('--json', 'print the created record as JSON')
    .action(async (opts: AddFlags, cmd: Command) => {
      const spec = vmSpecFromOptions(opts);
      const rec = await clientOf(cmd).post<VmOut>('/vms', spec);
      if (wantsJson(cmd)) printJson(rec);
      else print(`added vm ${rec.name} on ${rec.currentHost}`);
    });

  vm.command('list')
    .description('list VMs with their state')
    .option('--json', 'print JSON')
    .action(async (_opts: unknown, cmd: Command) => {
      const client = clientOf(cmd);
      const [vms, status] = await Promise.all([client.get<VmOut[]>('/vms'), client.get<TargetStatusOut[]>('/status')]);
      if (wantsJson(cmd)) return printJson(vms);
      if (vms.length === 0) return print('(no VMs)');
      const phase = new Map(status.map((s) => [s.targetId, s]));
      print(
        table(vms, [
          { header: 'NAME', value: (v) => v.name },
          { header: 'PHASE', value: (v) => phase.get(`vm:${v.name}`)?.phase },
          { header: 'HOST', value: (v) => v.currentHost },
          { header: 'HOME', value: (v) => (v.homeHost === v.currentHost ? '' : v.homeHost) },
          { header: 'PRIO', value: (v) => v.priority, align: 'right' },
          { header: 'CORES', value: (v) => v.resources.cores, align: 'right' },
          { header: 'RAM_GB', value: (v) => v.resources.ramGb, align: 'right' },
          { header: 'CHECK', value: checkText },
        ]),
      );
    });

  vm.command('show <name>')
    .description('show one VM and its state')
    .option('--json', 'print JSON')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const d = await clientOf(cmd).get<{ vm: VmOut; status: TargetStatusOut | null }>(`/vms/${seg(name)}`);
      if (wantsJson(cmd)) return printJson(d);
      const v = d.vm;
      print(
        keyValues([
          ['name', v.name],
          ['uuid', v.uuid],
          ['phase', d.status ? `${d.status.phase} for ${age(d.status.since)}` : null],
          ['host', v.currentHost === v.homeHost ? v.currentHost : `${v.currentHost} (home ${v.homeHost})`],
          ['priority', v.priority],
          ['resources', `${v.resources.cores} vCPU, ${v.resources.ramGb} GB RAM, ${v.resources.diskGb} GB disk`],
          ['disk', v.diskPath],
          ['guest', v.guestAddress],
          ['check', checkText(v)],
          ['restart', v.serviceCheck?.restartCommand],
          ['domain xml', v.domainXml ? `${v.domainXml.length} bytes` : null],
          ['incident', d.status?.incidentId],
          ['reason', d.status?.reason],
          ['added', shortTime(v.createdAt)],
        ]),
      );
    });

  vm.command('remove <name>')
    .description('remove a VM from the inventory (the domain itself is left alone)')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await clientOf(cmd).delete(`/vms/${seg(name)}`);
      print(`removed vm ${name}`);
    });
}
