/**
 * The static address pool of lent VMs (pure): the lowest free address of [first, last], never the
 * gateway, none held by an active request or an inventory VM; a closed request gives its address
 * back; a full pool is RRC_ERR_NO_CAPACITY naming the pool; bad pool configs are refused by key.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRrcError } from '../../../src/errors.js';
import { allocateAddress, formatIpv4, heldAddresses, lowestFreeAddress, parseIpv4, resolvePool, staticNetworkOf } from '../../../src/on-demand/address-pool.js';
import { OnDemandConfigSchema } from '../../../src/on-demand/config-schema.js';
import type { RequestRecord, RequestState } from '../../../src/store/types.js';

const pool = resolvePool({ cidr: '10.20.0.0/24', first: '10.20.0.10', last: '10.20.0.12', gateway: '10.20.0.1', dns: ['10.20.0.2'] });

function req(id: string, state: RequestState, address: string | null): RequestRecord {
  return {
    id, owner: 'alice', state, kind: 'vm', cores: 1, ramGb: 1, diskGb: 10, os: 'debian-12', middleware: [], sshKeys: [], durationMs: 3600_000, queue: false,
    host: 'hv1', vmName: id, vmUuid: null, overlayPath: null, seedPath: null, address, createdAt: 0, placedAt: 0, readyAt: null, expiresAt: null, endedAt: null,
    warned: [], steps: [], endReason: null, erasedHow: null, error: null, updatedAt: 0,
  };
}

describe('address pool', () => {
  test('dotted quads round-trip; leading zeros and out-of-range parts are refused', () => {
    assert.equal(formatIpv4(parseIpv4('10.20.0.250') as number), '10.20.0.250');
    assert.equal(formatIpv4(parseIpv4('255.255.255.255') as number), '255.255.255.255');
    for (const bad of ['10.20.0', '10.20.0.256', '010.1.1.1', '1.2.3.4.5', 'a.b.c.d', '']) assert.equal(parseIpv4(bad), null, bad);
  });

  test('the lowest free address of [first, last]; held ones skipped', () => {
    assert.equal(lowestFreeAddress(pool, []), '10.20.0.10');
    assert.equal(allocateAddress(pool, ['10.20.0.10']), '10.20.0.11');
    assert.equal(allocateAddress(pool, ['10.20.0.11', '10.20.0.10']), '10.20.0.12');
    assert.equal(allocateAddress(pool, ['10.20.0.11']), '10.20.0.10', 'a hole below is filled first');
  });

  test('without first/last: the whole subnet but the network, broadcast and gateway addresses', () => {
    const small = resolvePool({ cidr: '192.168.5.0/30', gateway: '192.168.5.1' });
    assert.equal(allocateAddress(small, []), '192.168.5.2', 'not .0 (network), not .1 (gateway)');
    assert.throws(() => allocateAddress(small, ['192.168.5.2']), (e: unknown) => isRrcError(e, 'RRC_ERR_NO_CAPACITY'), 'not .3 (broadcast)');
  });

  test('a full pool is refused with RRC_ERR_NO_CAPACITY naming the pool and its range', () => {
    assert.throws(
      () => allocateAddress(pool, ['10.20.0.10', '10.20.0.11', '10.20.0.12']),
      (e: unknown) => isRrcError(e, 'RRC_ERR_NO_CAPACITY') && e.message.includes('onDemand.addresses 10.20.0.0/24 (10.20.0.10-10.20.0.12) is full'),
    );
  });

  test('held: addresses of active requests and inventory VMs; a closed request gives its address back', () => {
    const requests = [
      req('r-1', 'ready', '10.20.0.10'),
      req('r-2', 'expiring', '10.20.0.11'),
      req('r-3', 'erased', '10.20.0.12'),
      req('r-4', 'released', '10.20.0.12'),
      req('r-5', 'queued', null),
    ];
    const held = heldAddresses(requests, [undefined, '10.20.0.99:2222', 'guest.example']);
    assert.deepEqual(held, ['10.20.0.10', '10.20.0.11', '10.20.0.99', 'guest.example']);
    assert.equal(allocateAddress(pool, held), '10.20.0.12', 'the address of the erased request is reused');
    for (const s of ['placing', 'provisioning', 'ready', 'expiring'] as const) {
      assert.deepEqual(heldAddresses([req('r-9', s, '10.20.0.10')], []), ['10.20.0.10'], `${s} holds its address`);
    }
  });

  test('the first-boot network of an address: prefix of the pool, gateway, DNS', () => {
    assert.deepEqual(staticNetworkOf(pool, '10.20.0.11'), { address: '10.20.0.11/24', gateway: '10.20.0.1', dns: ['10.20.0.2'] });
    assert.deepEqual(staticNetworkOf(resolvePool({ cidr: '10.9.0.0/16' }), '10.9.3.4'), { address: '10.9.3.4/16' });
    assert.throws(() => staticNetworkOf(pool, '10.21.0.5'), (e: unknown) => isRrcError(e, 'RRC_ERR_CONFIG_INVALID') && /10\.20\.0\.0\/24/.test(e.message));
    assert.throws(() => staticNetworkOf(null, '10.20.0.5'), (e: unknown) => isRrcError(e, 'RRC_ERR_CONFIG_INVALID') && /no pool/.test(e.message));
  });

  test('config: optional; dns defaults to none; bad pools refused with the key at fault', () => {
    assert.equal(OnDemandConfigSchema.parse({}).addresses, undefined);
    assert.deepEqual(OnDemandConfigSchema.parse({ addresses: { cidr: '10.20.0.0/24' } }).addresses, { cidr: '10.20.0.0/24', dns: [] });
    const refused = (addresses: Record<string, unknown>, key: string, text: RegExp): void => {
      const r = OnDemandConfigSchema.safeParse({ addresses });
      assert.equal(r.success, false, JSON.stringify(addresses));
      const issue = r.error?.issues.find((i) => i.path.join('.') === `addresses.${key}`);
      assert.ok(issue, `an issue at addresses.${key}: ${JSON.stringify(r.error?.issues)}`);
      assert.match(issue.message, text);
    };
    refused({ cidr: '10.20.0.0' }, 'cidr', /not an IPv4 network/);
    refused({ cidr: '10.20.0.5/24' }, 'cidr', /host bits set: the network is 10\.20\.0\.0\/24/);
    refused({ cidr: '10.20.0.0/31' }, 'cidr', /no room/);
    refused({ cidr: '10.20.0.0/24', first: '10.21.0.10' }, 'first', /not a host address of 10\.20\.0\.0\/24/);
    refused({ cidr: '10.20.0.0/24', last: '10.20.0.255' }, 'last', /not a host address/);
    refused({ cidr: '10.20.0.0/24', first: '10.20.0.20', last: '10.20.0.10' }, 'last', /comes before first/);
    refused({ cidr: '10.20.0.0/24', gateway: 'router' }, 'gateway', /not an IPv4 address/);
    refused({ cidr: '10.20.0.0/24', dns: ['1.1.1.1', 'x'] }, 'dns.1', /not an IPv4 address/);
  });
});
