/**
 * startBootServices end to end on 127.0.0.1 (ephemeral ports, no QEMU): a scripted PXE client
 * walks DHCP -> TFTP -> HTTP script -> kickstart -> callback, and the milestones come out in order.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeDhcp, MSG, OPT } from '../../../src/drivers/pxe/dhcp-codec.js';
import { startBootServices, type BootMilestone, type BootServices } from '../../../src/drivers/pxe/index.js';
import { isRrcError } from '../../../src/errors.js';
import { requirePeers, run } from '../../lab/netns/netns.js';
import { clientPacket, ipxeEfiDiscover } from '../../unit/pxe/dhcp-packets.js';
import { recordingLogger, tempDir, udpPeer, waitFor, wallClock } from '../../unit/pxe/support.js';

const MAC = '52:54:00:be:ef:01';

describe('startBootServices on 127.0.0.1', () => {
  const dir = tempDir('boot');
  let svc: BootServices;
  const milestones: BootMilestone[] = [];

  before(async () => {
    await requirePeers([{ cmd: 'busybox', args: ['tftp', '--help'], pkg: 'busybox' }]);
    writeFileSync(join(dir.path, 'vmlinuz'), 'kernel');
    writeFileSync(join(dir.path, 'initrd.img'), 'initrd');
    svc = await startBootServices({
      address: '127.0.0.1',
      dhcpBindAddress: '127.0.0.1',
      dhcpPort: 0,
      tftpPort: 0,
      httpPort: 0,
      filesRoot: dir.path,
      hosts: [{ name: 'node-1', macs: [MAC], ip: '127.0.0.1' }],
      log: recordingLogger(),
      clock: wallClock,
    });
    svc.events.on('milestone', (m: BootMilestone) => milestones.push(m));
  });
  after(async () => {
    await svc?.stop();
    dir.remove();
  });

  async function dhcp(pkt: Buffer) {
    const peer = await udpPeer();
    try {
      peer.sock.send(pkt, svc.ports.dhcp, '127.0.0.1');
      const m = await peer.next(2000);
      assert.ok(m, 'a DHCP reply');
      return decodeDhcp(m.msg);
    } finally {
      await peer.close();
    }
  }

  it('walks DHCP, TFTP, HTTP, kickstart and callback; netboot is then off', async () => {
    svc.issueToken('node-1'); // a reinstall starts: the lease that follows binds the token
    const offer = await dhcp(clientPacket({ type: MSG.DISCOVER, mac: MAC, arch: 0, vendorClass: 'PXEClient:Arch:00000:UNDI:002001' }));
    assert.equal(offer.options.get(OPT.BOOTFILE)?.toString(), 'undionly.kpxe');
    const ack = await dhcp(clientPacket({ type: MSG.REQUEST, mac: MAC, requestedIp: '127.0.0.1', serverId: '127.0.0.1', arch: 0 }));
    assert.equal(ack.options.get(OPT.MSG_TYPE)![0], MSG.ACK);

    // The firmware fetches iPXE over TFTP (the UEFI one through Debian's symlink to /boot).
    for (const [name, path] of [['undionly.kpxe', '/usr/lib/ipxe/undionly.kpxe'], ['ipxe.efi', '/usr/lib/ipxe/ipxe.efi']]) {
      const dest = join(dir.path, `got-${name}`);
      const r = await run('busybox', ['tftp', '-g', '-b', '1432', '-r', name!, '-l', dest, '127.0.0.1', String(svc.ports.tftp)], 20_000);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(readFileSync(dest).equals(readFileSync(path!)), name);
    }
    assert.ok(await waitFor(() => svc.stats().tftp.completed === 2, 2000));

    // iPXE asks again and gets its script URL.
    const ipxe = await dhcp(ipxeEfiDiscover(MAC));
    const url = ipxe.options.get(OPT.BOOTFILE)!.toString();
    assert.equal(url, `${svc.baseUrl}/boot/52-54-00-be-ef-01.ipxe`);
    const script = await (await fetch(url)).text();
    const ksUrl = /inst\.ks=(\S+)/.exec(script)?.[1];
    assert.equal(ksUrl, `${svc.baseUrl}/ks/node-1.cfg`);
    const kernel = await fetch(`${svc.baseUrl}/files/vmlinuz`, { headers: { range: 'bytes=1-3' } });
    assert.equal(kernel.status, 206);
    assert.equal(await kernel.text(), 'ern');

    const ks = await (await fetch(ksUrl)).text();
    const callback = `${/curl .* '([^']+)' && break/.exec(ks)?.[1] ?? ''}&mac=${MAC}`;
    assert.ok(callback.startsWith(`${svc.baseUrl}/callback/node-1?token=`), ks);
    assert.equal((await fetch(callback, { method: 'POST' })).status, 200);
    assert.equal((await fetch(callback, { method: 'POST' })).status, 409);
    assert.equal(svc.isNetbootEnabled(MAC), false);

    const after = await dhcp(clientPacket({ type: MSG.REQUEST, mac: MAC, requestedIp: '127.0.0.1', arch: 0 }));
    assert.equal(after.options.get(OPT.MSG_TYPE)![0], MSG.ACK);
    assert.equal(after.options.has(OPT.BOOTFILE), false);
    assert.match(await (await fetch(url)).text(), /sanboot --no-describe --drive 0x80/);

    const names = milestones.filter((m) => m.host === 'node-1').map((m) => m.name);
    const firsts = ['dhcp', 'tftp', 'http', 'kickstart', 'callback'].map((n) => names.indexOf(n as BootMilestone['name']));
    assert.ok(firsts.every((i, k) => i >= 0 && (k === 0 || i > firsts[k - 1]!)), names.join(','));
    assert.ok(milestones.every((m) => typeof m.at === 'number' && m.at > 0));
  });

  it('issues tokens for known hosts only; re-enables netboot', () => {
    assert.match(svc.issueToken('node-1'), /^[A-Za-z0-9_-]+$/);
    assert.throws(() => svc.issueToken('nobody'), (e: unknown) => isRrcError(e, 'RRC_ERR_NOT_FOUND'));
    svc.setNetboot(MAC, true);
    assert.equal(svc.isNetbootEnabled(MAC), true);
  });

  it('accepts a new host table at run time', async () => {
    const mac2 = '52:54:00:be:ef:02';
    svc.setHosts([{ name: 'node-1', macs: [MAC], ip: '127.0.0.1' }, { name: 'node-2', macs: [mac2], ip: '127.0.0.2' }]);
    const offer = await dhcp(clientPacket({ type: MSG.DISCOVER, mac: mac2 }));
    assert.equal(offer.yiaddr, '127.0.0.2');
    assert.throws(() => svc.setHosts([{ name: 'bad name', macs: [mac2], ip: '127.0.0.2' }]));
    assert.equal((await dhcp(clientPacket({ type: MSG.DISCOVER, mac: mac2 }))).yiaddr, '127.0.0.2');
  });
});
