/** DHCP server decisions through handle() (no sockets), and one check of its socket set-up on 127.0.0.1. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { decodeDhcp, MSG, OPT } from '../../../src/drivers/pxe/dhcp-codec.js';
import { DhcpServer, type LeaseEvent } from '../../../src/drivers/pxe/dhcp-server.js';
import { clientPacket, ipxeEfiDiscover } from './dhcp-packets.js';
import { recordingLogger, udpPeer, wallClock } from './support.js';

const SERVER = '198.18.0.1';
const H1 = { mac: '52:54:00:00:00:01', ip: '198.18.0.11', hostname: 'node-1' };
const H2 = { mac: '52:54:00:00:00:02', ip: '198.18.0.12', hostname: 'node-2' };
const FROM_NOWHERE = { address: '0.0.0.0', port: 68 };

function server() {
  return new DhcpServer({
    address: SERVER,
    netmask: '255.255.255.0',
    router: '198.18.0.254',
    dns: ['198.18.0.53'],
    leaseSeconds: 600,
    httpBase: 'http://198.18.0.1:8080',
    hosts: [H1, H2],
    log: recordingLogger(),
    clock: wallClock,
  });
}

function text(d: ReturnType<typeof decodeDhcp>, code: number): string | undefined {
  return d.options.get(code)?.toString('latin1');
}

describe('DhcpServer.handle', () => {
  it('offers the static address with next-server and undionly.kpxe to BIOS PXE', () => {
    const s = server();
    const out = s.handle(clientPacket({ type: MSG.DISCOVER, mac: H1.mac, arch: 0, vendorClass: 'PXEClient:Arch:00000:UNDI:002001' }), FROM_NOWHERE);
    assert.ok(out);
    assert.deepEqual([out.address, out.port], ['255.255.255.255', 68]);
    const d = decodeDhcp(out.packet);
    assert.equal(d.options.get(OPT.MSG_TYPE)![0], MSG.OFFER);
    assert.equal(d.yiaddr, H1.ip);
    assert.equal(d.siaddr, SERVER);
    assert.equal(d.file, 'undionly.kpxe');
    assert.equal(text(d, OPT.TFTP_SERVER), SERVER);
    assert.equal(text(d, OPT.BOOTFILE), 'undionly.kpxe');
    assert.equal(d.options.has(OPT.VENDOR_CLASS), false, 'no option 60 without 43 (EDK2 would then wait for a boot server on 4011)');
    assert.equal(text(d, OPT.HOSTNAME), 'node-1');
    assert.deepEqual([...d.options.get(OPT.SUBNET_MASK)!], [255, 255, 255, 0]);
    assert.deepEqual([...d.options.get(OPT.ROUTER)!], [198, 18, 0, 254]);
    assert.equal(d.options.get(OPT.LEASE_TIME)!.readUInt32BE(0), 600);
    assert.deepEqual([...d.options.get(OPT.SERVER_ID)!], [198, 18, 0, 1]);
    assert.equal(s.stats().offers, 1);
  });

  it('gives ipxe.efi to UEFI and the script URL to iPXE', () => {
    const s = server();
    const efi = decodeDhcp(s.handle(clientPacket({ type: MSG.DISCOVER, mac: H1.mac, arch: 7 }), FROM_NOWHERE)!.packet);
    assert.equal(text(efi, OPT.BOOTFILE), 'ipxe.efi');
    const ipxe = decodeDhcp(s.handle(ipxeEfiDiscover(H2.mac), FROM_NOWHERE)!.packet);
    assert.equal(text(ipxe, OPT.BOOTFILE), 'http://198.18.0.1:8080/boot/52-54-00-00-00-02.ipxe');
  });

  it('ACKs the right address and emits lease; NAKs a wrong one (broadcast)', () => {
    const s = server();
    const leases: LeaseEvent[] = [];
    s.on('lease', (l: LeaseEvent) => leases.push(l));
    const ack = s.handle(clientPacket({ type: MSG.REQUEST, mac: H1.mac, requestedIp: H1.ip, serverId: SERVER, arch: 0 }), FROM_NOWHERE);
    const d = decodeDhcp(ack!.packet);
    assert.equal(d.options.get(OPT.MSG_TYPE)![0], MSG.ACK);
    assert.equal(d.yiaddr, H1.ip);
    assert.equal(leases.length, 1);
    assert.equal(leases[0]!.mac, H1.mac);
    assert.equal(leases[0]!.ip, H1.ip);
    assert.equal(leases[0]!.bootFile, 'undionly.kpxe');
    assert.equal(s.leaseOf(H1.mac)?.state, 'bound');

    const nak = s.handle(clientPacket({ type: MSG.REQUEST, mac: H1.mac, requestedIp: '198.18.0.99' }), { address: '198.18.0.99', port: 68 });
    const n = decodeDhcp(nak!.packet);
    assert.equal(n.options.get(OPT.MSG_TYPE)![0], MSG.NAK);
    assert.equal(n.yiaddr, '0.0.0.0');
    assert.equal(nak!.address, '255.255.255.255');
    assert.equal(s.stats().naks, 1);
  });

  it('handles renewal (ciaddr) with a unicast ACK and relayed requests via giaddr', () => {
    const s = server();
    const renew = s.handle(clientPacket({ type: MSG.REQUEST, mac: H1.mac, ciaddr: H1.ip }), { address: H1.ip, port: 68 });
    assert.deepEqual([renew!.address, renew!.port], [H1.ip, 68]);
    const relayed = s.handle(clientPacket({ type: MSG.DISCOVER, mac: H1.mac, giaddr: '198.19.0.1' }), { address: '198.19.0.1', port: 67 });
    assert.equal(relayed!.address, '198.19.0.1');
  });

  it('ignores a REQUEST for another server and any message from an unknown MAC', () => {
    const s = server();
    assert.equal(s.handle(clientPacket({ type: MSG.REQUEST, mac: H1.mac, requestedIp: H1.ip, serverId: '198.18.0.2' }), FROM_NOWHERE), undefined);
    assert.equal(s.handle(clientPacket({ type: MSG.DISCOVER, mac: '52:54:00:ff:ff:ff', arch: 0 }), FROM_NOWHERE), undefined);
    const st = s.stats();
    assert.equal(st.ignored, 1);
    assert.equal(st.unknownMac, 1);
    assert.equal(st.offers, 0);
  });

  it('netboot off: address still leased, no boot file, no next-server', () => {
    const s = server();
    s.setNetboot(H1.mac, false);
    const d = decodeDhcp(s.handle(clientPacket({ type: MSG.REQUEST, mac: H1.mac, requestedIp: H1.ip, arch: 0 }), FROM_NOWHERE)!.packet);
    assert.equal(d.options.get(OPT.MSG_TYPE)![0], MSG.ACK);
    assert.equal(d.yiaddr, H1.ip);
    assert.equal(d.options.has(OPT.BOOTFILE), false);
    assert.equal(d.options.has(OPT.TFTP_SERVER), false);
    assert.equal(d.siaddr, '0.0.0.0');
    assert.equal(d.file, '');
    s.setNetboot(H1.mac.toUpperCase(), true);
    assert.equal(s.isNetbootEnabled(H1.mac), true);
  });

  it('handles RELEASE, DECLINE and INFORM', () => {
    const s = server();
    const events: string[] = [];
    s.on('release', () => events.push('release'));
    s.on('decline', () => events.push('decline'));
    assert.equal(s.handle(clientPacket({ type: MSG.RELEASE, mac: H1.mac, ciaddr: H1.ip }), { address: H1.ip, port: 68 }), undefined);
    assert.equal(s.leaseOf(H1.mac)?.state, 'released');
    assert.equal(s.handle(clientPacket({ type: MSG.DECLINE, mac: H1.mac, requestedIp: H1.ip }), FROM_NOWHERE), undefined);
    const inform = s.handle(clientPacket({ type: MSG.INFORM, mac: H1.mac, ciaddr: H1.ip }), { address: H1.ip, port: 68 });
    const d = decodeDhcp(inform!.packet);
    assert.equal(d.options.get(OPT.MSG_TYPE)![0], MSG.ACK);
    assert.equal(d.yiaddr, '0.0.0.0');
    assert.equal(d.ciaddr, H1.ip);
    assert.equal(d.options.has(OPT.LEASE_TIME), false);
    assert.deepEqual(events, ['release', 'decline']);
    const st = s.stats();
    assert.deepEqual([st.releases, st.declines, st.informs], [1, 1, 1]);
  });

  it('counts dropped packets by reason and survives a listener that throws', () => {
    const s = server();
    s.on('lease', () => {
      throw new Error('listener bug');
    });
    assert.equal(s.handle(Buffer.from('garbage'), FROM_NOWHERE), undefined);
    const bad = clientPacket({ type: MSG.DISCOVER, mac: H1.mac });
    bad.writeUInt32BE(0, 236);
    assert.equal(s.handle(bad, FROM_NOWHERE), undefined);
    assert.equal(s.handle(clientPacket({ type: MSG.REQUEST, mac: H1.mac }), FROM_NOWHERE), undefined); // no address at all
    const ack = s.handle(clientPacket({ type: MSG.REQUEST, mac: H1.mac, requestedIp: H1.ip }), FROM_NOWHERE);
    assert.ok(ack, 'the ACK still goes out although the lease listener threw');
    const st = s.stats();
    assert.deepEqual(st.dropped, { 'too-short': 1, 'bad-cookie': 1, 'bad-request': 1 });
    assert.equal(st.droppedTotal, 3);
  });

  it('updates its host table at run time', () => {
    const s = server();
    const newcomer = { mac: '52:54:00:00:00:09', ip: '198.18.0.19', hostname: 'node-9' };
    assert.equal(s.handle(clientPacket({ type: MSG.DISCOVER, mac: newcomer.mac }), FROM_NOWHERE), undefined);
    s.upsertHost(newcomer);
    assert.equal(decodeDhcp(s.handle(clientPacket({ type: MSG.DISCOVER, mac: newcomer.mac }), FROM_NOWHERE)!.packet).yiaddr, newcomer.ip);
    s.removeHost(newcomer.mac);
    assert.equal(s.handle(clientPacket({ type: MSG.DISCOVER, mac: newcomer.mac }), FROM_NOWHERE), undefined);
    assert.throws(() => s.setHosts([{ ...H1, ip: 'nope' }]));
    assert.ok(s.handle(clientPacket({ type: MSG.DISCOVER, mac: H1.mac }), FROM_NOWHERE), 'a rejected table leaves the old one');
  });

  it('asks for a large receive queue (bursts must not overflow it) and answers over the socket', async () => {
    const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    const want = 2 << 20;
    const s = new DhcpServer({
      address: '127.0.0.1', bindAddress: '127.0.0.1', port: 0, netmask: '255.0.0.0', httpBase: 'http://127.0.0.1:8080',
      hosts: [{ ...H1, ip: '127.0.0.1' }], recvBufferBytes: want, log: recordingLogger(), clock: wallClock,
    });
    await s.start();
    try {
      // Linux doubles what it grants (bookkeeping) and caps the request at rmem_max.
      assert.equal(s['listenSock']!.getRecvBufferSize(), 2 * Math.min(want, rmemMax));
      const peer = await udpPeer();
      try {
        peer.sock.send(clientPacket({ type: MSG.DISCOVER, mac: H1.mac, arch: 0 }), s.port, '127.0.0.1');
        const offer = await peer.next(2000);
        assert.equal(offer && decodeDhcp(offer.msg).options.get(OPT.MSG_TYPE)![0], MSG.OFFER);
      } finally {
        await peer.close();
      }
    } finally {
      await s.stop();
    }
  });
});
