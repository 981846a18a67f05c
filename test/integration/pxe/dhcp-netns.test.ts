/**
 * Real DHCP on ports 67/68 inside two network namespaces: our DhcpServer (in a child process in
 * the server namespace, listening on 0.0.0.0:67 and replying from its 198.18.x.1 address) and
 * busybox udhcpc in the client namespace. Everything is torn down in after(), even on failure.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { cleanupStaleNetns, createNetnsPair, NETNS_PREFIX, requirePeers, run, type NetnsPair } from '../../lab/netns/netns.js';
import { tempDir, waitFor } from '../../unit/pxe/support.js';

const KNOWN = { mac: '52:54:00:5e:00:01', hostname: 'node-1' };
const UNKNOWN_MAC = '52:54:00:5e:00:99';

describe('DHCP server in a network namespace, udhcpc as client', () => {
  const dir = tempDir('dhcp-netns');
  const envFile = join(dir.path, 'lease.env');
  const script = join(dir.path, 'udhcpc.sh');
  let ns: NetnsPair | undefined;
  let child: ChildProcess | undefined;
  const lines: Array<Record<string, unknown>> = [];
  let hostIp = '';

  before(async () => {
    await requirePeers([
      { cmd: 'ip', args: ['-V'], pkg: 'iproute2' },
      { cmd: 'busybox', args: ['udhcpc', '--help'], pkg: 'busybox' },
    ]);
    ns = await createNetnsPair();
    hostIp = ns.serverIp.replace(/\.1$/, '.50');
    writeFileSync(script, `#!/bin/sh\n[ "$1" = bound ] && env | sort > '${envFile}'\nexit 0\n`);
    chmodSync(script, 0o755);
    const opts = {
      address: ns.serverIp,
      bindAddress: '0.0.0.0',
      port: 67,
      netmask: '255.255.255.0',
      leaseSeconds: 900,
      httpBase: `http://${ns.serverIp}:8080`,
      hosts: [{ ...KNOWN, ip: hostIp }],
    };
    child = ns.spawn(ns.serverNs, process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/dhcp-child.ts'), JSON.stringify(opts)]);
    child.stderr?.on('data', (d: Buffer) => lines.push({ event: 'stderr', text: d.toString() }));
    createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        lines.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        lines.push({ event: 'stdout', text: l });
      }
    });
    const ready = await waitFor(() => lines.some((l) => l['event'] === 'ready' || l['event'] === 'error'), 20_000);
    assert.ok(ready && lines.some((l) => l['event'] === 'ready'), `server did not start: ${JSON.stringify(lines)}`);
  });

  after(async () => {
    child?.stdin?.end();
    await ns?.destroy();
    dir.remove();
  });

  /** One bounded udhcpc run; returns its exit code and the variables its script saw. */
  async function udhcpc(mac: string, extra: string[]): Promise<{ code: number | null; env: Record<string, string>; out: string }> {
    rmSync(envFile, { force: true });
    await ns!.setClientMac(mac);
    const r = await ns!.exec(ns!.clientNs, 'busybox', ['udhcpc', '-i', ns!.clientIf, '-n', '-q', '-f', '-s', script, '-t', '3', '-T', '1', ...extra], 15_000);
    const env: Record<string, string> = {};
    if (existsSync(envFile)) {
      for (const line of readFileSync(envFile, 'utf8').split('\n')) {
        const eq = line.indexOf('=');
        if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
      }
    }
    return { code: r.code, env, out: r.stdout + r.stderr };
  }

  async function stats(): Promise<Record<string, unknown>> {
    const n = lines.length;
    child!.stdin!.write('{"cmd":"stats"}\n');
    await waitFor(() => lines.slice(n).some((l) => l['event'] === 'stats'), 5000);
    return lines.slice(n).find((l) => l['event'] === 'stats')!['stats'] as Record<string, unknown>;
  }

  it('a BIOS PXE client gets its static lease, next-server and undionly.kpxe', async () => {
    const r = await udhcpc(KNOWN.mac, ['-V', 'PXEClient:Arch:00000:UNDI:002001', '-x', '0x5d:0000']);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.env['ip'], hostIp);
    assert.equal(r.env['subnet'], '255.255.255.0');
    assert.equal(r.env['serverid'], ns!.serverIp);
    assert.equal(r.env['siaddr'], ns!.serverIp);
    assert.equal(r.env['boot_file'], 'undionly.kpxe');
    assert.equal(r.env['bootfile'], 'undionly.kpxe');
    assert.equal(r.env['tftp'], ns!.serverIp);
    assert.equal(r.env['hostname'], KNOWN.hostname);
    assert.equal(r.env['lease'], '900');
    assert.ok(lines.some((l) => l['event'] === 'lease' && l['mac'] === KNOWN.mac && l['ip'] === hostIp));
  });

  it('an iPXE client (user class "iPXE") gets the URL of its script', async () => {
    const r = await udhcpc(KNOWN.mac, ['-x', '0x4d:69505845', '-x', '0x5d:0007']);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.env['bootfile'], `http://${ns!.serverIp}:8080/boot/52-54-00-5e-00-01.ipxe`);
  });

  it('with netboot off the host still gets its address but no boot file', async () => {
    child!.stdin!.write(`${JSON.stringify({ cmd: 'netboot', mac: KNOWN.mac, on: false })}\n`);
    await waitFor(() => false, 200);
    const r = await udhcpc(KNOWN.mac, ['-V', 'PXEClient:Arch:00000:UNDI:002001', '-x', '0x5d:0000']);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.env['ip'], hostIp);
    assert.equal(r.env['bootfile'], undefined);
    assert.equal(r.env['siaddr'] ?? '0.0.0.0', '0.0.0.0');
    child!.stdin!.write(`${JSON.stringify({ cmd: 'netboot', mac: KNOWN.mac, on: true })}\n`);
  });

  it('an unknown MAC gets nothing (udhcpc gives up after its bounded tries)', async () => {
    const t0 = Date.now();
    const r = await udhcpc(UNKNOWN_MAC, ['-t', '2']);
    assert.notEqual(r.code, 0);
    assert.deepEqual(r.env, {});
    assert.ok(Date.now() - t0 < 12_000);
    const st = await stats();
    assert.ok((st['unknownMac'] as number) >= 2, JSON.stringify(st));
    assert.equal(st['droppedTotal'], 0);
  });
});

describe('netns helper housekeeping', () => {
  it("removes namespaces left by dead runs, keeps live runs' ones", async () => {
    // A PID that just exited stands for a crashed earlier run.
    const dead = await new Promise<number>((res) => {
      const c = spawn(process.execPath, ['-e', '0']);
      c.once('exit', () => res(c.pid!));
    });
    const stale = `${NETNS_PREFIX}-${dead}-abcdef-s`;
    const live = `${NETNS_PREFIX}-${process.pid}-abcdef-c`;
    try {
      await run('ip', ['netns', 'add', stale]);
      await run('ip', ['netns', 'add', live]);
      const removed = await cleanupStaleNetns();
      assert.ok(removed.includes(stale));
      assert.ok(!removed.includes(live));
      const list = (await run('ip', ['netns', 'list'])).stdout;
      assert.ok(!list.includes(stale) && list.includes(live));
    } finally {
      await run('ip', ['netns', 'delete', stale]);
      await run('ip', ['netns', 'delete', live]);
    }
  });
});
