/**
 * The DHCP server's reply templates (a performance change made for the PXE benchmark): every
 * cached OFFER/ACK must be byte-identical to what the server built per packet before, whatever the
 * request's xid, flags, relay address, client kind and netboot state, and a host table change
 * must never serve a stale template. The reference below is the pre-cache reply() logic.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyClient, DEFAULT_BOOT_FILES, selectBootFile } from '../../../src/drivers/pxe/boot-select.js';
import {
  decodeRequest, encodeReply, ipToBytes, MSG, OPT, optIps, optText, optU32, optU8, type DhcpReply,
} from '../../../src/drivers/pxe/dhcp-codec.js';
import { DhcpServer, type DhcpHost } from '../../../src/drivers/pxe/dhcp-server.js';
import { clientPacket, ipxeEfiDiscover } from '../pxe/dhcp-packets.js';
import { recordingLogger, wallClock } from '../pxe/support.js';

const O = { address: '198.18.0.1', netmask: '255.255.255.0', router: '198.18.0.254', dns: ['198.18.0.53'], domain: 'lab', leaseSeconds: 600, httpBase: 'http://198.18.0.1:8080' };
const HOSTS: DhcpHost[] = [
  { mac: '52:54:00:00:00:01', ip: '198.18.0.11', hostname: 'node-1' },
  { mac: '52:54:00:00:00:02', ip: '198.18.0.12', hostname: 'node-2', netmask: '255.255.0.0', router: '198.18.1.1' },
];

/** The reply exactly as the server built it for every packet before the template cache. */
function reference(buf: Buffer, host: DhcpHost, netboot: boolean): Buffer {
  const req = decodeRequest(buf);
  const type = req.type === MSG.DISCOVER ? MSG.OFFER : MSG.ACK;
  const options: Array<[number, Buffer]> = [[OPT.MSG_TYPE, optU8(type)], [OPT.SERVER_ID, ipToBytes(O.address)]];
  const inform = req.type === MSG.INFORM;
  if (!inform) options.push([OPT.LEASE_TIME, optU32(O.leaseSeconds)], [OPT.T1, optU32(300)], [OPT.T2, optU32(525)]);
  options.push([OPT.SUBNET_MASK, ipToBytes(host.netmask ?? O.netmask)]);
  options.push([OPT.ROUTER, optIps([host.router ?? O.router])]);
  options.push([OPT.DNS, optIps(O.dns)]);
  options.push([OPT.HOSTNAME, optText(host.hostname)]);
  options.push([OPT.DOMAIN, optText(O.domain)]);
  const boot = selectBootFile(classifyClient(req), { mac: host.mac, netboot, files: DEFAULT_BOOT_FILES, httpBase: O.httpBase });
  if (boot) {
    options.push([OPT.TFTP_SERVER, optText(O.address)], [OPT.BOOTFILE, optText(boot.file)]);
    // No option 60 in replies (EDK2 would wait for a PXE boot server on 4011 without option 43).
  }
  const r: DhcpReply = {
    xid: req.xid, flags: req.flags, ciaddr: inform ? req.ciaddr : '0.0.0.0', yiaddr: inform ? '0.0.0.0' : host.ip,
    siaddr: boot ? O.address : '0.0.0.0', giaddr: req.giaddr, chaddr: host.mac, file: boot && boot.file.length < 128 ? boot.file : '', options,
  };
  return encodeReply(r);
}

function variants(host: DhcpHost): Buffer[] {
  const base = [
    clientPacket({ type: MSG.DISCOVER, mac: host.mac, arch: 0, vendorClass: 'PXEClient:Arch:00000:UNDI:002001' }),
    clientPacket({ type: MSG.REQUEST, mac: host.mac, requestedIp: host.ip, serverId: O.address, arch: 0, vendorClass: 'PXEClient:Arch:00000:UNDI:002001' }),
    clientPacket({ type: MSG.DISCOVER, mac: host.mac, arch: 7 }),
    clientPacket({ type: MSG.DISCOVER, mac: host.mac, vendorClass: 'PXEClient:Arch:00000:UNDI:002001' }),
    clientPacket({ type: MSG.DISCOVER, mac: host.mac }),
    clientPacket({ type: MSG.REQUEST, mac: host.mac, requestedIp: host.ip }),
    clientPacket({ type: MSG.DISCOVER, mac: host.mac, giaddr: '10.9.8.7', arch: 0 }),
    clientPacket({ type: MSG.INFORM, mac: host.mac, ciaddr: host.ip, arch: 0 }),
    ipxeEfiDiscover(host.mac),
  ];
  const out: Buffer[] = [];
  let xid = 1;
  for (const p of base) {
    for (const flags of [0x8000, 0]) {
      const q = Buffer.from(p);
      q.writeUInt32BE((0x9e3779b9 * xid++) >>> 0, 4);
      q.writeUInt16BE(flags, 10);
      out.push(q);
    }
  }
  return out;
}

describe('DHCP reply templates (performance cache)', () => {
  it('replies byte for byte as before, cold and warm, for every client kind and field', () => {
    const s = new DhcpServer({ ...O, hosts: HOSTS, log: recordingLogger(), clock: wallClock, perMacLimit: null });
    for (let round = 0; round < 3; round++) {
      for (const h of HOSTS) {
        for (const pkt of variants(h)) {
          const p = Buffer.from(pkt);
          p.writeUInt32BE((p.readUInt32BE(4) + round) >>> 0, 4); // a new xid each round: patched, not cached
          const out = s.handle(p, { address: '0.0.0.0', port: 68 });
          assert.ok(out, 'an answer');
          assert.ok(out.packet.equals(reference(p, h, true)), `round ${round} ${h.mac} type ${p[242]} flags ${p.readUInt16BE(10)}`);
        }
      }
    }
  });

  it('follows netboot changes and host table changes at once', () => {
    const s = new DhcpServer({ ...O, hosts: HOSTS, log: recordingLogger(), clock: wallClock, perMacLimit: null });
    const h = HOSTS[0]!;
    const pxe = clientPacket({ type: MSG.DISCOVER, mac: h.mac, arch: 0, vendorClass: 'PXEClient:Arch:00000:UNDI:002001' });
    const from = { address: '0.0.0.0', port: 68 };
    assert.ok(s.handle(pxe, from)!.packet.equals(reference(pxe, h, true)));
    s.setNetboot(h.mac, false);
    assert.ok(s.handle(pxe, from)!.packet.equals(reference(pxe, h, false)), 'netboot off: no boot file');
    s.setNetboot(h.mac, true);
    const renamed = { ...h, hostname: 'node-1b', ip: '198.18.0.21' };
    s.upsertHost(renamed);
    assert.ok(s.handle(pxe, from)!.packet.equals(reference(pxe, renamed, true)), 'upsertHost');
    const moved = { ...h, hostname: 'node-1c', ip: '198.18.0.31' };
    s.setHosts([moved, HOSTS[1]!]);
    assert.ok(s.handle(pxe, from)!.packet.equals(reference(pxe, moved, true)), 'setHosts');
    s.removeHost(h.mac);
    assert.equal(s.handle(pxe, from), undefined, 'removeHost');
  });
});
