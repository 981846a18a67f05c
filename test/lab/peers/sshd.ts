/**
 * A real OpenSSH server for tests on 127.0.0.1: generated ed25519 host and user keys,
 * key-only login for the current user (root here), a known_hosts file that lists it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { SshSpec } from '../../../src/core/types.js';
import { freeTcpPort, makeTempDir, requireBinary, spawnPeer, stopChild, untilReady, waitFor } from './common.js';
import { tcpConnect } from '../../../src/drivers/net-check.js';

export interface Sshd {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: string;
  /** Private key file of a user key the server accepts. */
  readonly userKeyPath: string;
  /** known_hosts listing this server's host key as `[127.0.0.1]:port`. */
  readonly knownHostsFile: string;
  /** The `type base64` public host key. */
  readonly hostPublicKey: string;
  readonly dir: string;
  sshSpec(keyRef?: string): SshSpec;
  stop(): Promise<void>;
}

function keygen(sshKeygen: string, file: string, comment: string): string {
  execFileSync(sshKeygen, ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { stdio: 'ignore' });
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

export async function startSshd(): Promise<Sshd> {
  const sshd = requireBinary('/usr/sbin/sshd', 'openssh-server');
  const sshKeygen = requireBinary('ssh-keygen', 'openssh-client');
  // sshd refuses to start without its privilege-separation directory.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const tmp = makeTempDir('sshd');
  const { dir } = tmp;
  const user = userInfo().username;
  const hostPub = keygen(sshKeygen, join(dir, 'host_ed25519'), '3rc-test-host');
  const userPub = keygen(sshKeygen, join(dir, 'user_ed25519'), '3rc-test-user');
  writeFileSync(join(dir, 'authorized_keys'), `${userPub}\n`, { mode: 0o600 });
  const [type, blob] = hostPub.split(/\s+/);
  const hostPublicKey = `${type} ${blob}`;

  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeTcpPort();
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(dir, 'host_ed25519')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'UsePAM no',
        `PidFile ${join(dir, 'sshd.pid')}`,
        'StrictModes no',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostPublicKey}\n`);
    // -D: stay in the foreground (we own the process), -e: log to stderr.
    const peer = spawnPeer(sshd, ['-D', '-e', '-f', config]);
    try {
      await untilReady(
        'sshd',
        peer,
        waitFor(`sshd on 127.0.0.1:${port}`, async () => (await tcpConnect('127.0.0.1', port, 500)) >= 0, { timeoutMs: 10_000 }),
      );
    } catch (e) {
      lastErr = e;
      await stopChild(peer.child);
      continue;
    }
    let stopped = false;
    return {
      host: '127.0.0.1',
      port,
      user,
      userKeyPath: join(dir, 'user_ed25519'),
      knownHostsFile: join(dir, 'known_hosts'),
      hostPublicKey,
      dir,
      sshSpec: (keyRef) => ({ host: '127.0.0.1', port, user, ...(keyRef ? { keyRef } : {}) }),
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await stopChild(peer.child);
        tmp.remove();
      },
    };
  }
  tmp.remove();
  throw new Error(`sshd did not start: ${String(lastErr)}`);
}
