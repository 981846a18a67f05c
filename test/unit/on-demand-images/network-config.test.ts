/**
 * The static network of a lent VM in its NoCloud seed: `network-config` (cloud-init network config
 * version 2) parsed back as YAML 1.1 carries the address, default route and name servers on the
 * first NIC matched by name; bad values are refused; no network, no file. With the real
 * genisoimage (read back with isoinfo, same package) the ISO holds the file, and the same data
 * keeps the same ISO.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { isRrcError } from '../../../src/errors.js';
import type { FirstBootData } from '../../../src/on-demand/catalogue-types.js';
import { buildNoCloudSeed, renderNetworkConfig, validateFirstBootData } from '../../../src/on-demand/images/index.js';
import { delay, makeTempDir, requireBinary } from '../../lab/peers/common.js';

const data: FirstBootData = {
  instanceId: 'r-00000007',
  hostname: 'r-00000007',
  owner: 'alice',
  sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAliceKey= alice@laptop'],
  middleware: [],
  network: { address: '10.20.0.10/24', gateway: '10.20.0.1', dns: ['10.20.0.2', '10.20.0.3'] },
};

const yaml11 = (text: string): Record<string, unknown> => parse(text, { version: '1.1' }) as Record<string, unknown>;

const EXPECTED = {
  version: 2,
  ethernets: {
    lent0: {
      match: { name: 'e*' },
      dhcp4: false,
      dhcp6: false,
      addresses: ['10.20.0.10/24'],
      routes: [{ to: '0.0.0.0/0', via: '10.20.0.1' }],
      nameservers: { addresses: ['10.20.0.2', '10.20.0.3'] },
    },
  },
};

describe('network-config of a static address', () => {
  test('version 2: the e* NIC gets the address, the default route and the name servers', () => {
    assert.deepEqual(yaml11(renderNetworkConfig(data) as string), EXPECTED);
  });

  test('gateway and DNS are optional; no network, no file', () => {
    const doc = yaml11(renderNetworkConfig({ ...data, network: { address: '10.20.0.10/24' } }) as string);
    assert.deepEqual(doc.ethernets, { lent0: { match: { name: 'e*' }, dhcp4: false, dhcp6: false, addresses: ['10.20.0.10/24'] } });
    const { network: _n, ...withoutNetwork } = data;
    assert.equal(renderNetworkConfig(withoutNetwork), null);
  });

  test('bad addresses are refused before anything is rendered', () => {
    const refused = (network: FirstBootData['network'], what: RegExp): void =>
      assert.throws(() => validateFirstBootData({ ...data, network }), (e: unknown) => isRrcError(e, 'RRC_ERR_VALIDATION') && what.test(e.message));
    refused({ address: '10.20.0.10' }, /network address/);
    refused({ address: '10.20.0.0/24' }, /network address/);
    refused({ address: '10.20.0.300/24' }, /network address/);
    refused({ address: '10.20.0.10/24', gateway: 'gw; reboot' }, /gateway/);
    refused({ address: '10.20.0.10/24', dns: ['10.20.0.2', 'x\ny'] }, /DNS server/);
    validateFirstBootData(data);
  });
});

describe('NoCloud seed ISO with network-config (genisoimage)', () => {
  const tmp = makeTempDir('on-demand-seed-net');
  after(() => tmp.remove());
  const isoinfo = requireBinary('isoinfo', 'genisoimage');
  const readIso = (iso: string, file: string): string => execFileSync(isoinfo, ['-R', '-i', iso, '-x', `/${file}`], { encoding: 'utf8' });

  test('the seed holds network-config, parsed back; the same request keeps the same ISO; a new address rebuilds it', async () => {
    const iso = await buildNoCloudSeed({ dir: tmp.dir, data });
    assert.deepEqual(
      execFileSync(isoinfo, ['-R', '-f', '-i', iso], { encoding: 'utf8' }).split('\n').filter(Boolean).sort(),
      ['/meta-data', '/network-config', '/user-data'],
    );
    assert.deepEqual(yaml11(readIso(iso, 'network-config')), EXPECTED);
    const first = statSync(iso).mtimeMs;
    await delay(20);
    assert.equal(await buildNoCloudSeed({ dir: tmp.dir, data }), iso);
    assert.equal(statSync(iso).mtimeMs, first, 'idempotent: not rebuilt');
    const moved = { ...data, network: { address: '10.20.0.11/24', gateway: '10.20.0.1' } };
    await buildNoCloudSeed({ dir: tmp.dir, data: moved });
    assert.deepEqual((yaml11(readIso(iso, 'network-config')).ethernets as Record<string, Record<string, unknown>>).lent0?.addresses, ['10.20.0.11/24']);
  });
});
