/**
 * Inventory fields that lead to code execution or to where credentials are sent (restart and
 * check commands, libvirt URIs, secret and key references, domain XML, SSH and BMC endpoints)
 * are checked against the config's allow-lists before anything is written. A refusal names the
 * field: `body.serviceCheck.restartCommand: not in api.allow.restartCommands`.
 */
import { BlockList, isIP } from 'node:net';
import type { HostSpec, SshSpec, VmSpec } from '../core/types.js';
import { RrcError } from '../errors.js';
import { isPattern, type AllowLists } from './schemas/api-access.js';

type Problem = [path: string, message: string];

export function commandAllowed(command: string, rules: readonly string[]): boolean {
  return rules.some((r) => (isPattern(r) ? new RegExp(`^(?:${r.slice(1, -1)})$`).test(command) : r === command));
}

function networksOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) {
    const [net, bits] = c.split('/') as [string, string];
    list.addSubnet(net, Number(bits), isIP(net) === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** A name (not an IP) cannot be placed in a network without DNS, which could change later: refused. */
function endpointProblem(path: string, address: string, allow: AllowLists): Problem | null {
  if (allow.endpointNetworks === null) return null;
  const family = isIP(address);
  if (family === 0) return [path, `must be an IP address in api.allow.endpointNetworks`];
  return networksOf(allow.endpointNetworks).check(address, family === 6 ? 'ipv6' : 'ipv4') ? null : [path, `${address} is not in api.allow.endpointNetworks`];
}

function refProblem(path: string, ref: string | undefined, allow: AllowLists): Problem | null {
  if (ref === undefined || allow.secretRefs === undefined) return null;
  return allow.secretRefs.includes(ref) ? null : [path, `secret "${ref}" is not declared under secrets in the controller's config`];
}

function sshProblems(path: string, ssh: SshSpec | undefined, allow: AllowLists): Problem[] {
  if (!ssh) return [];
  const out: Array<Problem | null> = [
    allow.sshUsers.includes(ssh.user) ? null : [`${path}.user`, `"${ssh.user}" is not in api.allow.sshUsers`],
    endpointProblem(`${path}.host`, ssh.host, allow),
    refProblem(`${path}.keyRef`, ssh.keyRef, allow),
  ];
  return out.filter((p): p is Problem => p !== null);
}

function uriProblems(uri: string, allow: AllowLists): Problem[] {
  const path = 'body.hypervisorUri';
  if (!allow.hypervisorUriPrefixes.some((p) => uri.startsWith(p))) return [[path, `must start with one of api.allow.hypervisorUriPrefixes (${allow.hypervisorUriPrefixes.join(', ')})`]];
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return [[path, 'is not a valid URI']];
  }
  const bad = [...url.searchParams.keys()].filter((k) => !allow.hypervisorUriParams.includes(k));
  const out: Problem[] = bad.length ? [[path, `parameter ${bad.join(', ')} is not in api.allow.hypervisorUriParams`]] : [];
  if (url.hostname !== '') {
    const p = endpointProblem(path, url.hostname.replace(/^\[|\]$/g, ''), allow);
    if (p) out.push(p);
  }
  return out;
}

function refuse(problems: Problem[]): void {
  if (problems.length === 0) return;
  const details = problems.map(([path, message]) => ({ path, message }));
  throw new RrcError('RRC_ERR_VALIDATION', details.map((d) => `${d.path}: ${d.message}`).join('; '), { details });
}

export function checkHostAllowed(spec: HostSpec, allow: AllowLists): void {
  const problems: Array<Problem | null> = [...uriProblems(spec.hypervisorUri, allow), ...sshProblems('body.ssh', spec.ssh, allow)];
  if (spec.bmc) {
    problems.push(endpointProblem('body.bmc.address', spec.bmc.address, allow), refProblem('body.bmc.secretRef', spec.bmc.secretRef, allow));
  }
  refuse(problems.filter((p): p is Problem => p !== null));
}

const DOMAIN_XML_EXEC_RE = /<\s*(emulator|qemu:commandline|qemu:arg|script)\b/i;

export function checkVmAllowed(spec: VmSpec, allow: AllowLists): void {
  const problems: Problem[] = sshProblems('body.ssh', spec.ssh, allow);
  const check = spec.serviceCheck;
  if (check?.restartCommand !== undefined && !commandAllowed(check.restartCommand, allow.restartCommands)) {
    problems.push(['body.serviceCheck.restartCommand', 'not in api.allow.restartCommands']);
  }
  if (check?.kind === 'ssh' && !commandAllowed(check.command, allow.checkCommands)) {
    problems.push(['body.serviceCheck.command', 'not in api.allow.checkCommands']);
  }
  if (spec.domainXml !== undefined) {
    if (!allow.domainXml) problems.push(['body.domainXml', 'domain XML from the API is off (api.allow.domainXml)']);
    else if (DOMAIN_XML_EXEC_RE.test(spec.domainXml)) problems.push(['body.domainXml', 'must not name an emulator, a script or qemu command-line arguments']);
  }
  if (spec.guestAddress !== undefined) {
    const p = endpointProblem('body.guestAddress', spec.guestAddress, allow);
    if (p) problems.push(p);
  }
  refuse(problems);
}
