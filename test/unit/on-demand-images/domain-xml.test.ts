/**
 * renderDomainXml: the XML parses back (strict reader) to exactly the values given, hostile
 * characters included; bad sizes, UUIDs, MACs and characters XML cannot carry are refused.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRrcError } from '../../../src/errors.js';
import { renderDomainXml, type DomainSpec } from '../../../src/on-demand/images/index.js';
import { findAll, parseXml } from './mini-xml.js';

const spec: DomainSpec = {
  name: `lent-<alice>&"bob's"`,
  uuid: '6F1C9A52-3F0E-4B8E-9A55-3C2D1E0F9A01',
  cores: 4,
  ramMb: 8192,
  overlayPath: `/srv/3rc/overlays/a&b'<c>".qcow2`,
  overlayFormat: 'qcow2',
  seedPath: '/srv/3rc/seeds/req-1-seed.iso',
  network: { kind: 'bridge', bridge: 'br-<lab>&', mac: '52:54:00:AA:BB:CC' },
};

const refused = (s: DomainSpec): void =>
  assert.throws(() => renderDomainXml(s), (e: unknown) => isRrcError(e, 'RRC_ERR_VALIDATION'));

describe('renderDomainXml', () => {
  test('parses back to the requested machine, every value escaped', () => {
    const root = parseXml(renderDomainXml(spec));
    assert.equal(root.name, 'domain');
    assert.equal(root.attrs.type, 'kvm');
    assert.equal(findAll(root, 'name')[0]?.text, spec.name);
    assert.equal(findAll(root, 'uuid')[0]?.text, spec.uuid.toLowerCase());
    assert.deepEqual([findAll(root, 'memory')[0]?.attrs.unit, findAll(root, 'memory')[0]?.text], ['MiB', '8192']);
    assert.equal(findAll(root, 'vcpu')[0]?.text, '4');

    const disks = findAll(root, 'devices', 'disk');
    const disk = disks.find((d) => d.attrs.device === 'disk');
    assert.equal(findAll(disk!, 'source')[0]?.attrs.file, spec.overlayPath);
    assert.equal(findAll(disk!, 'driver')[0]?.attrs.type, 'qcow2');
    assert.deepEqual(findAll(disk!, 'target')[0]?.attrs, { dev: 'vda', bus: 'virtio' });

    const cdrom = disks.find((d) => d.attrs.device === 'cdrom');
    assert.equal(findAll(cdrom!, 'source')[0]?.attrs.file, spec.seedPath);
    assert.equal(findAll(cdrom!, 'readonly').length, 1);

    const nic = findAll(root, 'devices', 'interface')[0];
    assert.equal(nic?.attrs.type, 'bridge');
    assert.equal(findAll(nic!, 'source')[0]?.attrs.bridge, 'br-<lab>&');
    assert.equal(findAll(nic!, 'mac')[0]?.attrs.address, '52:54:00:aa:bb:cc');

    assert.equal(findAll(root, 'devices', 'serial').length, 1);
    assert.equal(findAll(root, 'devices', 'console')[0]?.children[0]?.attrs.type, 'serial');
  });

  test('no seed, no network: only the overlay disk', () => {
    const { seedPath: _s, network: _n, ...bare } = spec;
    const root = parseXml(renderDomainXml(bare));
    assert.deepEqual(findAll(root, 'devices', 'disk').map((d) => d.attrs.device), ['disk']);
    assert.equal(findAll(root, 'devices', 'interface').length, 0);
  });

  test('a libvirt network instead of a bridge', () => {
    const root = parseXml(renderDomainXml({ ...spec, network: { kind: 'network', network: 'default' } }));
    const nic = findAll(root, 'devices', 'interface')[0];
    assert.equal(nic?.attrs.type, 'network');
    assert.equal(findAll(nic!, 'source')[0]?.attrs.network, 'default');
    assert.equal(findAll(nic!, 'mac').length, 0);
  });

  test('refuses what it cannot render faithfully', () => {
    refused({ ...spec, cores: 0 });
    refused({ ...spec, cores: 1.5 });
    refused({ ...spec, ramMb: -1 });
    refused({ ...spec, uuid: 'not-a-uuid' });
    refused({ ...spec, name: '' });
    refused({ ...spec, name: 'a/b' });
    refused({ ...spec, overlayPath: '/srv/bad\u0001path.qcow2' });
    refused({ ...spec, network: { kind: 'bridge', bridge: 'br0', mac: '52:54:00:aa:bb' } });
  });
});
