/**
 * A private libvirtd for tests, on a Unix socket in a temp dir, serving libvirt's test driver:
 * `test+unix:///default?socket=...`. Unlike `test:///<file>` (each connection opens its own
 * copy), every client of this daemon sees one hypervisor, so the binding and `virsh` can act
 * on the same domains, as they do on a real host. The test driver keeps its state only while a
 * connection is open: hold one (a driver's cached connection does) for the length of a test.
 *
 * Run as root, the daemon is started as `nobody` in session mode: its files stay in the temp
 * dir and it needs no system user (the system-mode QEMU driver would want `libvirt-qemu`).
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, requireBinary, spawnPeer, stopChild, untilReady, waitFor } from './common.js';

export interface Libvirtd {
  /** URI of the shared test hypervisor. */
  readonly uri: string;
  /** Runs virsh against it (a separate client), for independent checks. */
  virsh(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

function nobody(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) throw new Error('no user "nobody" to run libvirtd as');
  return { uid: Number(uid), gid: Number(gid) };
}

function virshRun(virsh: string, uri: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      virsh,
      ['-q', '-c', uri, ...args],
      { env: { PATH: process.env.PATH ?? '', LC_ALL: 'C' }, timeout: 5000, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => (err ? reject(new Error(`virsh ${args.join(' ')}: ${String(stderr).trim() || err.message}`)) : resolve(String(stdout))),
    );
  });
}

export async function startLibvirtd(): Promise<Libvirtd> {
  const libvirtd = requireBinary('libvirtd', 'libvirt-daemon');
  const virsh = requireBinary('virsh', 'libvirt-clients');
  const tmp = makeTempDir('libvirtd');
  const run = join(tmp.dir, 'run');
  const home = join(tmp.dir, 'home');
  mkdirSync(run);
  mkdirSync(home);
  const conf = join(tmp.dir, 'libvirtd.conf');
  writeFileSync(conf, `listen_tls = 0\nlisten_tcp = 0\nunix_sock_dir = "${run}"\nauth_unix_rw = "none"\nauth_unix_ro = "none"\n`);
  const asUser = process.getuid?.() === 0 ? nobody() : undefined;
  if (asUser) for (const p of [tmp.dir, run, home, conf]) chownSync(p, asUser.uid, asUser.gid);
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_RUNTIME_DIR: run,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
  };
  const peer = spawnPeer(libvirtd, ['--config', conf], { cwd: tmp.dir, env, ...(asUser ?? {}) });
  const sock = join(run, 'libvirt-sock');
  const uri = `test+unix:///default?socket=${sock}`;
  try {
    await untilReady(
      'libvirtd',
      peer,
      waitFor(`libvirtd on ${sock}`, async () => existsSync(sock) && (await virshRun(virsh, uri, ['uri'])).includes('test'), {
        timeoutMs: 15_000,
        intervalMs: 100,
      }),
    );
  } catch (e) {
    await stopChild(peer.child);
    tmp.remove();
    throw e;
  }
  let stopped = false;
  return {
    uri,
    virsh: (args) => virshRun(virsh, uri, args),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stopChild(peer.child);
      tmp.remove();
    },
  };
}
