/**
 * The HTTP boot routes through fastify's inject(): scripts, kickstart, files with Range, and the
 * install-complete callback bound to the host being reinstalled (its leased address, its MAC,
 * its netboot) that records the new host key in known_hosts for that host only and reports the
 * watchdog the new system runs; the watchdog agent and the controller's /health for that agent.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { BootHostTable, DEFAULT_INSTALL, type BootHost } from '../../../src/drivers/pxe/boot-hosts.js';
import { buildBootHttp, newHttpStats } from '../../../src/drivers/pxe/http-boot.js';
import type { HostWatchdog } from '../../../src/core/types.js';
import type { InstallProfile } from '../../../src/env/env.js';
import { realRoot } from '../../../src/drivers/pxe/path-jail.js';
import { InstallTokens } from '../../../src/drivers/pxe/tokens.js';
import { KnownHostsStore, parseKnownHosts } from '../../../src/drivers/known-hosts.js';
import { ed25519KeyLine, recordingLogger, tempDir, wallClock } from './support.js';

const BASE = 'http://198.18.0.1:8080';
const AGENT = join(import.meta.dirname, '../../../kickstart/rrc-watchdog.sh');
const NODE1: BootHost = {
  name: 'node-1',
  macs: ['52:54:00:00:00:01', '52:54:00:00:01:01'],
  ip: '198.18.0.11',
  gateway: '198.18.0.254',
  dns: ['198.18.0.53', '198.18.0.54'],
  install: {
    disk: 'vda',
    partitions: ['part /boot --fstype=xfs --size=1024 --ondisk=vda', 'part pv.01 --grow --ondisk=vda', 'volgroup vg0 pv.01', 'logvol / --vgname=vg0 --name=root --fstype=xfs --size=1 --grow'],
    packages: ['@core', 'qemu-kvm', 'libvirt', '-firewalld'],
    middleware: ['libvirtd', 'chronyd'],
    kernelArgs: 'inst.text console=ttyS0,115200',
  },
};
const NODE2: BootHost = { name: 'node-2', macs: ['52-54-00-00-00-02'], ip: '198.18.0.12', ssh: { host: 'node-2.lab', port: 2222 } };
const EVIL: BootHost = { name: 'evil', macs: ['52:54:00:00:00:66'], ip: '198.18.0.66', install: { packages: ['ok', 'bad;reboot'] } };

describe('HTTP boot routes', () => {
  const files = tempDir('files');
  const blob = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
  const netbootOff = new Set<string>();
  const completed: string[] = [];
  const watchdogs: Array<[string, HostWatchdog | null]> = [];
  const milestones: string[] = [];
  const tokens = new InstallTokens(wallClock);
  const log = recordingLogger();
  const knownHostsFile = join(files.path, 'known_hosts');
  const CONTROLLER_KEY = ed25519KeyLine('3rc@controller');
  const OTHERS = ['node-1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOTHERhostKEYnode1xxxxxxxxxxxxxxxxxxxxxxx', '# a comment', '[other]:2222 ssh-rsa AAAAB3NzaC1yc2E='];
  /** A reinstall of `host` in progress: token issued, netboot on, DHCP lease of `mac` bound. */
  const reinstalling = (host: BootHost, mac = host.macs[0]!) => {
    const token = tokens.issue(host.name);
    for (const m of host.macs) netbootOff.delete(m.replace(/-/g, ':'));
    tokens.bindLease(host.name, { mac: mac.replace(/-/g, ':'), ip: host.ip });
    return token;
  };
  const profiles = new Map<string, InstallProfile>();
  let app: FastifyInstance;

  before(async () => {
    writeFileSync(join(files.path, 'vmlinuz'), blob);
    writeFileSync(join(files.path, 'empty.img'), '');
    symlinkSync('/etc/passwd', join(files.path, 'passwd-link'));
    writeFileSync(knownHostsFile, [...OTHERS, '[node-2.lab]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOLDkeyOFnode2xxxxxxxxxxxxxxxxxxxxxxxxxx', ''].join('\n'));
    app = await buildBootHttp(
      {
        hosts: new BootHostTable([NODE1, NODE2, EVIL]),
        tokens,
        render: { baseUrl: BASE, net: { netmask: '255.255.255.0' }, install: DEFAULT_INSTALL, controllerPublicKey: CONTROLLER_KEY },
        knownHosts: new KnownHostsStore(knownHostsFile),
        pxeTemplates: join(import.meta.dirname, '../../../pxe'),
        kickstartTemplates: join(import.meta.dirname, '../../../kickstart'),
        filesRoot: await realRoot(files.path),
        isNetbootEnabled: (mac) => !netbootOff.has(mac),
        installProfile: (host) => profiles.get(host),
        onInstallComplete: (h) => {
          completed.push(h.name);
          for (const m of h.macs) netbootOff.add(m);
        },
        onWatchdogReport: (h, w) => watchdogs.push([h.name, w]),
        agentScript: AGENT,
        milestone: (host, name) => milestones.push(`${host}:${name}`),
        log,
        clock: wallClock,
      },
      newHttpStats(),
    );
  });
  after(async () => {
    await app.close();
    files.remove();
  });

  it('renders the install script for a known MAC (either spelling)', async () => {
    for (const mac of ['52-54-00-00-00-01', '52:54:00:00:00:01', '52-54-00-00-01-01']) {
      const r = await app.inject({ url: `/boot/${mac}.ipxe` });
      assert.equal(r.statusCode, 200, mac);
      const lines = r.body.split('\n');
      assert.equal(lines[0], '#!ipxe');
      assert.ok(lines.includes(`kernel ${BASE}/files/vmlinuz initrd=initrd.img inst.ks=${BASE}/ks/node-1.cfg ip=dhcp inst.text console=ttyS0,115200 || goto failed`), r.body);
      assert.ok(lines.includes(`initrd ${BASE}/files/initrd.img || goto failed`));
      assert.ok(lines.includes(`chain --replace --autofree ${BASE}/boot/${mac.replace(/:/g, '-')}.ipxe`));
    }
    assert.ok(milestones.includes('node-1:http'));
  });

  it('answers 404 for unknown or malformed MACs', async () => {
    for (const url of ['/boot/52-54-00-99-99-99.ipxe', '/boot/nope.ipxe', '/boot/52-54-00-00-00-01.cfg', '/boot/..%2f..%2fetc%2fpasswd']) {
      assert.equal((await app.inject({ url })).statusCode, 404, url);
    }
  });

  it('renders the kickstart field by field, for the leased address only', async () => {
    const token = reinstalling(NODE1);
    const r = await app.inject({ url: '/ks/node-1.cfg', remoteAddress: NODE1.ip });
    assert.equal(r.statusCode, 200, r.body);
    const lines = r.body.split('\n');
    const has = (l: string) => assert.ok(lines.includes(l), `missing line: ${l}\n${r.body}`);
    assert.equal(lines[0], `# 3RC kickstart for node-1 (52:54:00:00:00:01), generated by the controller at ${BASE}.`);
    has('timezone UTC --utc');
    const network = lines.find((l) => l.startsWith('network '))!.split(' ').slice(1);
    assert.deepEqual(network, [
      '--bootproto=static', '--device=52:54:00:00:00:01', '--ip=198.18.0.11', '--netmask=255.255.255.0',
      '--gateway=198.18.0.254', '--nameserver=198.18.0.53,198.18.0.54', '--hostname=node-1', '--activate',
    ]);
    has('ignoredisk --only-use=vda');
    has('clearpart --all --initlabel --drives=vda');
    has('bootloader --location=mbr --boot-drive=vda');
    for (const p of NODE1.install!.partitions!) has(p);
    const pk = lines.indexOf('%packages');
    assert.deepEqual(lines.slice(pk + 1, lines.indexOf('%end', pk)), ['@core', 'qemu-kvm', 'libvirt', '-firewalld']);
    has(`for svc in 'libvirtd' 'chronyd'; do`);
    has(`key='${CONTROLLER_KEY}'`);
    has(`  printf '%s\\n' "$key" >> /root/.ssh/authorized_keys`);
    has(`  ip -4 -o addr show dev "\${dev##*/}" 2>/dev/null | grep -qF "inet 198.18.0.11/" && mac=$(cat "$dev/address")`);
    has(`  curl -fsS -X POST --data-urlencode "mac=$mac" --data-urlencode "watchdog=$watchdog" --data-urlencode "hostkey@/etc/ssh/ssh_host_ed25519_key.pub" '${BASE}/callback/node-1?token=${token}' && break`);
    // The watchdog agent: fetched from this controller, told the controller and the other hosts.
    has(`if curl -fsS -o /usr/local/sbin/rrc-watchdog '${BASE}'/agent/rrc-watchdog; then`);
    has(`RRC_CONTROLLERS="${BASE}"`);
    has(`RRC_PEERS="198.18.0.66 198.18.0.12"`); // by host name
    has('  systemctl enable rrc-watchdog.service && lease=$(/usr/local/sbin/rrc-watchdog lease) && watchdog="$kind:$lease"');
    const post = r.body.slice(r.body.indexOf('%post'), r.body.lastIndexOf('%end')).split('\n').slice(1).join('\n');
    execFileSync('sh', ['-n'], { input: post }); // the %post is valid shell
    assert.ok(milestones.includes('node-1:kickstart'));
    // Rendering again embeds the same outstanding token.
    assert.ok((await app.inject({ url: '/ks/node-1.cfg', remoteAddress: NODE1.ip })).body.includes(`token=${token}`));
  });

  it('a host lent out (--physical) gets its OS template, with the first-boot section before the callback', async () => {
    const firstBoot = "%post --log=/root/3rc-first-boot.log\nhostnamectl set-hostname 'lent-1'\n%end\n";
    profiles.set('node-1', { template: 'alma-9', firstBoot });
    try {
      reinstalling(NODE1);
      const r = await app.inject({ method: 'GET', url: '/ks/node-1.cfg', remoteAddress: NODE1.ip });
      assert.equal(r.statusCode, 200);
      assert.ok(milestones.includes('node-1:kickstart'));
      const first = r.body.indexOf(firstBoot);
      const callback = r.body.indexOf('/callback/node-1?token=');
      assert.ok(first > 0, 'the first-boot section is in the kickstart');
      assert.ok(callback > first, 'and comes before the %post that calls back');
      assert.ok(r.body.lastIndexOf('\n%post', callback) > first, 'the callback keeps its own %post');
    } finally {
      profiles.delete('node-1');
    }
    reinstalling(NODE1);
    const plain = await app.inject({ method: 'GET', url: '/ks/node-1.cfg', remoteAddress: NODE1.ip });
    assert.ok(!plain.body.includes('3rc-first-boot'), 'the profile cleared: the hypervisor template again');
  });

  it('refuses the kickstart (and its token) to any other address, before the lease, with no reinstall', async () => {
    const token = reinstalling(NODE1);
    const other = await app.inject({ url: '/ks/node-1.cfg', remoteAddress: '198.18.0.66' });
    assert.equal(other.statusCode, 403);
    assert.equal(other.body, '# 3RC: kickstart refused: request not from the address leased to the host being reinstalled\n');
    assert.ok(!other.body.includes(token));
    const noReinstall = await app.inject({ url: '/ks/node-2.cfg', remoteAddress: NODE2.ip });
    assert.equal(noReinstall.statusCode, 403);
    assert.match(noReinstall.body, /no reinstall of this host is in progress/);
    tokens.issue('node-2'); // reinstall started, no DHCP lease yet
    assert.match((await app.inject({ url: '/ks/node-2.cfg', remoteAddress: NODE2.ip })).body, /not taken its DHCP lease/);
    assert.ok(log.records.some((l) => l.msg === 'kickstart refused' && (l.obj as { reason?: string }).reason === 'wrong-address'));
  });

  it('uses defaults for a bare host (no gateway -> --nodefroute, default disk and packages)', async () => {
    reinstalling(NODE2);
    const r = await app.inject({ url: '/ks/node-2.cfg', remoteAddress: NODE2.ip });
    const network = r.body.split('\n').find((l) => l.startsWith('network '))!;
    assert.ok(network.includes('--nodefroute') && !network.includes('--gateway') && !network.includes('--nameserver'), network);
    assert.ok(r.body.includes('ignoredisk --only-use=sda'));
    assert.ok(r.body.includes('autopart --type=lvm --nohome'));
    assert.ok(r.body.includes('for svc in ; do'));
  });

  it('refuses to render an unsafe value (500, nothing partial)', async () => {
    reinstalling(EVIL);
    const r = await app.inject({ url: '/ks/evil.cfg', remoteAddress: EVIL.ip });
    assert.equal(r.statusCode, 500);
    assert.ok(!r.body.includes('reboot'));
    assert.equal((await app.inject({ url: '/ks/unknown.cfg' })).statusCode, 404);
  });

  it('serves files whole, by single range, suffix range; 416 when unsatisfiable', async () => {
    const full = await app.inject({ url: '/files/vmlinuz' });
    assert.equal(full.statusCode, 200);
    assert.equal(full.headers['accept-ranges'], 'bytes');
    assert.deepEqual(full.rawPayload, blob);
    const part = await app.inject({ url: '/files/vmlinuz', headers: { range: 'bytes=100-199' } });
    assert.equal(part.statusCode, 206);
    assert.equal(part.headers['content-range'], 'bytes 100-199/1000');
    assert.deepEqual(part.rawPayload, blob.subarray(100, 200));
    const open = await app.inject({ url: '/files/vmlinuz', headers: { range: 'bytes=990-' } });
    assert.deepEqual(open.rawPayload, blob.subarray(990));
    const suffix = await app.inject({ url: '/files/vmlinuz', headers: { range: 'bytes=-10' } });
    assert.equal(suffix.headers['content-range'], 'bytes 990-999/1000');
    const clipped = await app.inject({ url: '/files/vmlinuz', headers: { range: 'bytes=900-5000' } });
    assert.equal(clipped.headers['content-range'], 'bytes 900-999/1000');
    const bad = await app.inject({ url: '/files/vmlinuz', headers: { range: 'bytes=1000-' } });
    assert.equal(bad.statusCode, 416);
    assert.equal(bad.headers['content-range'], 'bytes */1000');
    const multi = await app.inject({ url: '/files/vmlinuz', headers: { range: 'bytes=0-1,5-6' } });
    assert.equal(multi.statusCode, 200);
    const head = await app.inject({ method: 'HEAD', url: '/files/vmlinuz' });
    assert.equal(head.headers['content-length'], '1000');
    assert.equal((await app.inject({ url: '/files/empty.img' })).statusCode, 200);
  });

  it('keeps /files inside its folder', async () => {
    for (const url of ['/files/../etc/passwd', '/files/%2e%2e/%2e%2e/etc/passwd', '/files/passwd-link', '/files//etc/passwd', '/files/missing']) {
      const r = await app.inject({ url });
      assert.ok(r.statusCode === 403 || r.statusCode === 404, `${url} -> ${r.statusCode}`);
      assert.ok(!r.body.includes('root:'), url);
    }
  });

  it('accepts the callback once from the leased address, records the host key for that host only, disables netboot', async () => {
    const token = reinstalling(NODE2);
    const mac = '52:54:00:00:00:02';
    const hostKey = ed25519KeyLine('root@node-2');
    const post = (url: string, form: Record<string, string>, from = NODE2.ip) =>
      app.inject({ method: 'POST', url, remoteAddress: from, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(form).toString() });
    const url = `/callback/node-2?token=${token}`;
    const refused = async (r: Awaited<ReturnType<typeof post>>, code: number, error: string) => {
      assert.equal(r.statusCode, code, r.body);
      assert.deepEqual(r.json(), { error });
    };
    await refused(await post('/callback/node-2?token=wrong', { mac }), 403, 'invalid token');
    await refused(await post('/callback/node-2', { mac }), 403, 'invalid token');
    const badJson = await app.inject({ method: 'POST', url: '/callback/node-2?token=nope', remoteAddress: NODE2.ip, headers: { 'content-type': 'application/json' }, payload: '{oops' });
    assert.equal(badJson.statusCode, 403, 'a broken body does not matter, the token does');
    assert.equal((await post(`/callback/nobody?token=${token}`, { mac })).statusCode, 404);
    await refused(await post(url, { mac, hostkey: hostKey }, '198.18.0.66'), 403, 'request not from the address leased to the host being reinstalled');
    await refused(await post(url, { mac: '52:54:00:00:00:01', hostkey: hostKey }), 403, 'MAC missing or not the one that netbooted for this reinstall');
    await refused(await post(url, { hostkey: hostKey }), 403, 'MAC missing or not the one that netbooted for this reinstall');
    await refused(await post(url, { mac, hostkey: `${hostKey}\n${hostKey}` }), 400, 'host key refused: more than one line');
    await refused(await post(url, { mac, hostkey: 'ssh-rsa AAAAB3NzaC1yc2E= root@x' }), 400, 'host key refused: not an "ssh-ed25519 <base64> [comment]" line');
    await refused(await post(url, { mac, hostkey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== root@x' }), 400, 'host key refused: the base64 is not an ed25519 public key');
    await refused(await post(url, { mac, hostkey: hostKey, watchdog: 'sanlock:60' }), 400, 'watchdog kind "sanlock" cannot be declared by a callback (one of rrc-agent, rrc-agent-softdog)');
    await refused(await post(url, { mac, hostkey: hostKey, watchdog: 'rrc-agent:0' }), 400, 'watchdog lease 0 s is outside 1..3600');
    await refused(await post(url, { mac, hostkey: hostKey, watchdog: 'rrc-agent' }), 400, 'watchdog report "rrc-agent" is not <kind>:<lease seconds>');
    netbootOff.add(mac);
    await refused(await post(url, { mac, hostkey: hostKey }), 403, 'netboot of this host has ended');
    netbootOff.delete(mac);
    assert.deepEqual(completed, [], 'no refused call completed the install');
    const refusals = log.records.filter((l) => l.msg === 'install callback refused').map((l) => (l.obj as { result: string }).result);
    assert.deepEqual(watchdogs, [], 'no refused call reported a watchdog');
    for (const r of ['invalid', 'wrong-address', 'wrong-mac', 'bad-host-key', 'bad-watchdog', 'netboot-off']) assert.ok(refusals.includes(r), `${r} logged: ${refusals.join(', ')}`);
    assert.equal(readFileSync(knownHostsFile, 'utf8').split('\n').filter((l) => l.startsWith('[node-2.lab]:2222 ')).length, 1);

    // None of the refusals used the token up: the real installer still calls back.
    const ok = await post(url, { mac, hostkey: `${hostKey}\n`, watchdog: 'rrc-agent-softdog:53' });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(completed, ['node-2']);
    assert.deepEqual(watchdogs, [['node-2', { kind: 'rrc-agent-softdog', leaseTimeoutSeconds: 53 }]]);
    assert.ok(milestones.includes('node-2:callback'));
    assert.equal((await app.inject({ method: 'GET', url, remoteAddress: NODE2.ip })).statusCode, 409);

    // known_hosts: node-2's old key replaced by the new one, every other line untouched.
    const text = readFileSync(knownHostsFile, 'utf8');
    const lines = text.trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, OTHERS.length), OTHERS);
    assert.equal(lines.at(-1), `[node-2.lab]:2222 ${hostKey.split(' ').slice(0, 2).join(' ')}`);
    assert.equal(lines.length, OTHERS.length + 1);
    const keys = parseKnownHosts(text, 'node-2.lab', 2222);
    assert.equal(keys.length, 1);
    assert.equal(keys[0]!.blob.toString('base64'), hostKey.split(' ')[1]);
    assert.equal(parseKnownHosts(text, 'node-1', 22).length, 1, "node-1's key kept");

    // Netboot is now off for node-2: its script boots the local disk.
    netbootOff.add(mac);
    const script = await app.inject({ url: '/boot/52-54-00-00-00-02.ipxe' });
    assert.equal(script.statusCode, 200);
    assert.ok(script.body.includes('sanboot --no-describe --drive 0x80'));
    assert.ok(script.body.split('\n').includes('exit'));
    assert.ok(!script.body.includes('kernel '));
  });

  it('answers a GET callback (iPXE chain, MAC in the query, no host key) with an iPXE script', async () => {
    const token = reinstalling(NODE1, '52:54:00:00:01:01');
    const before = readFileSync(knownHostsFile, 'utf8');
    const r = await app.inject({ url: `/callback/node-1?token=${token}&mac=52-54-00-00-01-01`, remoteAddress: NODE1.ip });
    assert.equal(r.statusCode, 200, r.body);
    assert.ok(r.body.startsWith('#!ipxe'));
    assert.equal(readFileSync(knownHostsFile, 'utf8'), before, 'no key reported, known_hosts unchanged');
    assert.deepEqual(watchdogs.at(-1), ['node-1', null], 'no watchdog reported: the host runs none');
  });

  it('serves the watchdog agent the kickstart installs, and answers its /health check', async () => {
    const agent = await app.inject({ url: '/agent/rrc-watchdog', remoteAddress: NODE1.ip });
    assert.equal(agent.statusCode, 200);
    assert.equal(agent.body, readFileSync(AGENT, 'utf8'));
    execFileSync('bash', ['-n'], { input: agent.body });
    const health = await app.inject({ url: '/health', remoteAddress: NODE1.ip });
    assert.equal(health.statusCode, 200);
  });
});
