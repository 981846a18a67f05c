/**
 * libvirt domain XML for a lent machine: KVM, the overlay as a virtio disk, the NoCloud seed as
 * a read-only IDE cdrom (what cloud-init looks for), a serial console, optionally one virtio NIC.
 * Every value is validated and XML-escaped; numbers must be positive integers.
 */
import { RrcError } from '../../errors.js';

export type DomainNetwork =
  | { kind: 'bridge'; bridge: string; mac?: string }
  | { kind: 'network'; network: string; mac?: string };

export interface DomainSpec {
  name: string;
  uuid: string;
  cores: number;
  ramMb: number;
  overlayPath: string;
  overlayFormat: 'qcow2';
  seedPath?: string;
  network?: DomainNetwork;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** Escapes text and attribute values (both quote styles), and refuses characters XML cannot hold. */
export function xmlEscape(value: string): string {
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/.test(value)) {
    throw new RrcError('RRC_ERR_VALIDATION', `value ${JSON.stringify(value.slice(0, 60))} holds characters XML cannot carry`);
  }
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function positiveInt(what: string, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RrcError('RRC_ERR_VALIDATION', `${what} must be a positive integer, not ${n}`);
  return n;
}

function validate(spec: DomainSpec): void {
  if (spec.name.trim() === '' || spec.name.includes('/')) throw new RrcError('RRC_ERR_VALIDATION', `domain name ${JSON.stringify(spec.name)} is empty or holds a slash`);
  if (!UUID.test(spec.uuid)) throw new RrcError('RRC_ERR_VALIDATION', `domain uuid ${JSON.stringify(spec.uuid)} is not a UUID`);
  if (spec.overlayFormat !== 'qcow2') throw new RrcError('RRC_ERR_VALIDATION', `overlay format must be qcow2, not ${String(spec.overlayFormat)}`);
  if (spec.network?.mac !== undefined && !MAC.test(spec.network.mac)) throw new RrcError('RRC_ERR_VALIDATION', `MAC address ${JSON.stringify(spec.network.mac)} is not valid`);
  positiveInt('cores', spec.cores);
  positiveInt('ramMb', spec.ramMb);
}

function networkXml(net: DomainNetwork): string[] {
  const source = net.kind === 'bridge' ? `<source bridge="${xmlEscape(net.bridge)}"/>` : `<source network="${xmlEscape(net.network)}"/>`;
  return [
    `    <interface type="${net.kind}">`,
    `      ${source}`,
    ...(net.mac ? [`      <mac address="${xmlEscape(net.mac.toLowerCase())}"/>`] : []),
    '      <model type="virtio"/>',
    '    </interface>',
  ];
}

export function renderDomainXml(spec: DomainSpec): string {
  validate(spec);
  const seed = spec.seedPath
    ? [
        '    <disk type="file" device="cdrom">',
        '      <driver name="qemu" type="raw"/>',
        `      <source file="${xmlEscape(spec.seedPath)}"/>`,
        '      <target dev="hdc" bus="ide"/>',
        '      <readonly/>',
        '    </disk>',
      ]
    : [];
  return [
    '<domain type="kvm">',
    `  <name>${xmlEscape(spec.name)}</name>`,
    `  <uuid>${xmlEscape(spec.uuid.toLowerCase())}</uuid>`,
    `  <memory unit="MiB">${positiveInt('ramMb', spec.ramMb)}</memory>`,
    `  <currentMemory unit="MiB">${spec.ramMb}</currentMemory>`,
    `  <vcpu placement="static">${positiveInt('cores', spec.cores)}</vcpu>`,
    '  <os>',
    '    <type arch="x86_64" machine="pc">hvm</type>',
    '    <boot dev="hd"/>',
    '  </os>',
    '  <features><acpi/><apic/></features>',
    '  <cpu mode="host-model"/>',
    '  <on_poweroff>destroy</on_poweroff>',
    '  <on_reboot>restart</on_reboot>',
    '  <on_crash>destroy</on_crash>',
    '  <devices>',
    '    <disk type="file" device="disk">',
    '      <driver name="qemu" type="qcow2" discard="unmap"/>',
    `      <source file="${xmlEscape(spec.overlayPath)}"/>`,
    '      <target dev="vda" bus="virtio"/>',
    '    </disk>',
    ...seed,
    ...(spec.network ? networkXml(spec.network) : []),
    '    <serial type="pty"><target port="0"/></serial>',
    '    <console type="pty"><target type="serial" port="0"/></console>',
    '    <memballoon model="virtio"/>',
    '  </devices>',
    '</domain>',
    '',
  ].join('\n');
}
