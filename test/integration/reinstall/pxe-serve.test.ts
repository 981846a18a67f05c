/**
 * `3rc pxe serve` as a process (tsx src/cli/main.ts) on 127.0.0.1 with ephemeral ports: only the
 * hosts named with --netboot get a boot file and the install script, the others get an address
 * and the local-boot script; the callback of the last --netboot host ends the process
 * (--exit-after-install). Bad flags are usage errors (exit 2).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { decodeDhcp, MSG, OPT } from '../../../src/drivers/pxe/dhcp-codec.js';
import { makeTempDir } from '../../lab/peers/common.js';
import { clientPacket } from '../../unit/pxe/dhcp-packets.js';
import { udpPeer } from '../../unit/pxe/support.js';
import { until } from './fixtures/lab.js';

const MAIN = join(import.meta.dirname, '../../../src/cli/main.ts');
const ONE = '52:54:00:3c:20:01';
const TWO = '52:54:00:3c:20:02';

function cli(args: string[]): { child: ChildProcess; lines: Array<Record<string, unknown>>; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      lines.push({ text: l });
    }
  });
  const exit = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, lines, stderr: () => err, exit };
}

describe('3rc pxe serve', () => {
  const tmp = makeTempDir('pxe-serve');
  const config = join(tmp.dir, '3rc.yaml');
  const files = join(tmp.dir, 'files');
  const running: ChildProcess[] = [];

  before(() => {
    mkdirSync(files);
    writeFileSync(join(files, 'vmlinuz'), 'kernel');
    const host = (name: string, mac: string) =>
      `    - { name: ${name}, role: primary, macs: ["${mac}"], ip: 127.0.0.1, hypervisorUri: "test:///default", capacity: { cores: 1, ramGb: 1, diskTb: 1 } }`;
    writeFileSync(config, ['log: { level: info }', 'inventory:', '  hosts:', host('node-1', ONE), host('node-2', TWO), ''].join('\n'));
  });
  after(() => {
    for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    tmp.remove();
  });

  it('serves the inventory; netboot only for --netboot hosts; exits after their callback', async () => {
    const run = cli([
      'pxe', 'serve', '--config', config, '--address', '127.0.0.1', '--dhcp-bind', '127.0.0.1',
      '--dhcp-port', '0', '--tftp-port', '0', '--http-port', '0', '--files', files,
      '--netboot', 'node-1', '--exit-after-install',
    ]);
    running.push(run.child);
    const started = () => run.lines.find((l) => typeof l['baseUrl'] === 'string');
    assert.ok(await until(() => started() !== undefined || run.child.exitCode !== null, 30_000), run.stderr());
    const ready = started();
    assert.ok(ready, `no ready line: ${JSON.stringify(run.lines)} ${run.stderr()}`);
    const base = String(ready['baseUrl']);
    const ports = ready['ports'] as { dhcp: number };

    const offer = async (mac: string) => {
      const peer = await udpPeer();
      try {
        peer.sock.send(clientPacket({ type: MSG.DISCOVER, mac, arch: 0, vendorClass: 'PXEClient:Arch:00000:UNDI:002001' }), ports.dhcp, '127.0.0.1');
        const m = await peer.next(3000);
        assert.ok(m, 'a DHCP offer');
        return decodeDhcp(m.msg);
      } finally {
        await peer.close();
      }
    };
    assert.equal((await offer(ONE)).options.get(OPT.BOOTFILE)?.toString(), 'undionly.kpxe');
    assert.equal((await offer(TWO)).options.has(OPT.BOOTFILE), false, 'netboot is off for hosts not named');
    const script = async (mac: string) => (await fetch(`${base}/boot/${mac.replace(/:/g, '-')}.ipxe`)).text();
    assert.match(await script(ONE), /inst\.ks=/);
    assert.match(await script(TWO), /booting from local disk/);

    // The install token is handed out only after node-1's DHCP lease (with netboot on), to its address.
    const peer = await udpPeer();
    try {
      peer.sock.send(clientPacket({ type: MSG.REQUEST, mac: ONE, requestedIp: '127.0.0.1', arch: 0 }), ports.dhcp, '127.0.0.1');
      assert.ok(await peer.next(3000), 'a DHCP ack');
    } finally {
      await peer.close();
    }
    const ks = await (await fetch(`${base}/ks/node-1.cfg`)).text();
    const callback = /curl .* '([^']+)' && break/.exec(ks)?.[1] ?? '';
    assert.ok(callback.startsWith(`${base}/callback/node-1?token=`), ks);
    assert.equal((await fetch(`${callback}&mac=${ONE}`, { method: 'POST' })).status, 200);
    const code = await Promise.race([run.exit, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000))]);
    assert.equal(code, 0, run.stderr());
    assert.ok(run.lines.some((l) => l['msg'] === 'node-1 installed; netboot off'), JSON.stringify(run.lines.map((l) => l['msg'])));
  });

  it('usage errors: unknown --netboot host, missing --address', async () => {
    const unknown = cli(['pxe', 'serve', '--config', config, '--address', '127.0.0.1', '--files', files, '--netboot', 'nobody']);
    running.push(unknown.child);
    assert.equal(await unknown.exit, 2);
    assert.match(unknown.stderr(), /^3rc: RRC_ERR_VALIDATION: --netboot: not in the config's inventory: nobody$/m);
    const noAddress = cli(['pxe', 'serve', '--config', config, '--files', files]);
    running.push(noAddress.child);
    assert.equal(await noAddress.exit, 2);
    assert.match(noAddress.stderr(), /--address is required/);
  });
});
