/**
 * libvirt's own parser accepts the rendered domain XML: `virsh define` on the test driver, then
 * `dumpxml` (one virsh process: test:///default lives as long as the connection) gives back the
 * name, UUID, size, overlay, seed cdrom and NIC of the requested machine, hostile characters kept.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { renderDomainXml, type DomainSpec } from '../../../src/on-demand/images/index.js';
import { makeTempDir, requireBinary } from '../../lab/peers/common.js';

const spec: DomainSpec = {
  name: `lent-alice-1 <&'">`,
  uuid: '0b7c3f0e-5a51-4c4e-9d8e-1f2a3b4c5d6e',
  cores: 2,
  ramMb: 1536,
  overlayPath: `/srv/3rc/overlays/req-1 &'<x>.qcow2`,
  overlayFormat: 'qcow2',
  seedPath: '/srv/3rc/seeds/req-1-seed.iso',
  network: { kind: 'bridge', bridge: 'br0', mac: '52:54:00:12:34:56' },
};

test('virsh (test driver) defines the rendered domain and dumps the same machine back', () => {
  const virsh = requireBinary('virsh', 'libvirt-clients');
  const tmp = makeTempDir('on-demand-xml');
  after(() => tmp.remove());
  const file = join(tmp.dir, 'domain.xml');
  writeFileSync(file, renderDomainXml(spec));
  const out = execFileSync(virsh, ['-q', '-c', 'test:///default', `define ${file}; dumpxml ${spec.uuid}`], { encoding: 'utf8', timeout: 30_000 });
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
  assert.ok(out.includes(`<name>${esc(spec.name)}</name>`), out);
  assert.ok(out.includes(`<uuid>${spec.uuid}</uuid>`), out);
  assert.ok(out.includes(`<memory unit='KiB'>${spec.ramMb * 1024}</memory>`), out);
  assert.ok(out.includes(`<vcpu placement='static'>${spec.cores}</vcpu>`), out);
  assert.ok(out.includes(`<source file='${esc(spec.overlayPath)}'/>`), out);
  assert.ok(out.includes(`<driver name='qemu' type='qcow2' discard='unmap'/>`), out);
  assert.match(out, /<disk type='file' device='cdrom'>[\s\S]*?<source file='\/srv\/3rc\/seeds\/req-1-seed\.iso'\/>[\s\S]*?<readonly\/>/);
  assert.ok(out.includes(`<mac address='${spec.network?.mac}'/>`), out);
  assert.ok(out.includes(`<console type='pty'>`), out);
});
