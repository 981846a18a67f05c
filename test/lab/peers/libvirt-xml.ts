/**
 * libvirt test-driver inventories: a `<node>` file that a `test:///<path>` URI opens as a
 * hypervisor with those CPUs, memory and domains. Every connection to it starts from the file,
 * so one connection = one simulated host, and a reconnect = a restarted hypervisor.
 */
import { writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export interface TestDomain {
  name: string;
  uuid: string;
  memoryMb?: number;
  vcpus?: number;
  /** Initial state; default running. */
  state?: 'running' | 'shutoff' | 'paused';
}

export interface TestNode {
  cpus: number;
  memoryMb: number;
  domains: TestDomain[];
}

const TEST_NS = 'http://libvirt.org/schemas/domain/test/1.0';
// virDomainState numbers understood by <test:runstate>.
const RUNSTATE = { running: 1, paused: 3, shutoff: 5 } as const;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Domain XML as stored for a VM (what `defineAndStart` defines on a spare). */
export function testDomainXml(d: TestDomain): string {
  return [
    `<domain type="test">`,
    `  <name>${esc(d.name)}</name>`,
    `  <uuid>${esc(d.uuid)}</uuid>`,
    `  <memory unit="KiB">${(d.memoryMb ?? 512) * 1024}</memory>`,
    `  <vcpu>${d.vcpus ?? 1}</vcpu>`,
    `  <os><type>hvm</type></os>`,
    `</domain>`,
  ].join('\n');
}

function nodeDomainXml(d: TestDomain): string {
  const runstate = RUNSTATE[d.state ?? 'running'];
  return testDomainXml(d)
    .replace('<domain type="test">', `<domain type="test" xmlns:test="${TEST_NS}">`)
    .replace('</domain>', `  <test:runstate>${runstate}</test:runstate>\n</domain>`)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

/** Writes `<dir>/<fileName>` and returns its absolute path (use with `libvirtTestUri`). */
export function writeLibvirtTestXml(dir: string, node: TestNode, fileName = 'node.xml'): string {
  const path = resolve(join(dir, fileName));
  const xml = [
    '<node>',
    '  <cpu>',
    '    <mhz>2000</mhz><model>i686</model>',
    `    <nodes>1</nodes><sockets>1</sockets><cores>${node.cpus}</cores><threads>1</threads>`,
    '  </cpu>',
    `  <memory>${node.memoryMb * 1024}</memory>`,
    ...node.domains.map(nodeDomainXml),
    '</node>',
    '',
  ].join('\n');
  writeFileSync(path, xml);
  return path;
}

export function libvirtTestUri(path: string): string {
  if (!isAbsolute(path)) throw new Error(`libvirt test URI needs an absolute path, got ${path}`);
  return `test://${path}`;
}
