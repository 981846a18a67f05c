/**
 * A restartable OpenSSH server on 127.0.0.1 for one lab machine (host OS or guest OS): its port
 * and host key stay the same across restarts (the controller's known_hosts keeps matching, as for
 * a real machine that reboots), and `ForceCommand` gives it the machine's "personality": the
 * command the client sent arrives in SSH_ORIGINAL_COMMAND and the machine's os.sh answers it
 * (lab-machines.ts). Stopping it kills the listener and every session it forked.
 *
 * A machine that is off, booting or hung does not answer at all: `silence()` replaces the sshd by
 * a silent port (SilentPort), so a connect times out as it does to a real host whose kernel is not
 * there, instead of the instant "connection refused" of a closed port on 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { delay, requireBinary } from '../peers/common.js';
import { tcpConnect } from '../../../src/drivers/net-check.js';
import { spawnGroup, type GroupProcess } from './procs.js';

/** Key pair files shared by every machine of a run (one host key, one user key). */
export interface LabKeys {
  dir: string;
  hostKey: string;
  hostPublicKey: string;
  userKey: string;
  authorizedKeys: string;
}

export function generateLabKeys(dir: string): LabKeys {
  const keygen = requireBinary('ssh-keygen', 'openssh-client');
  mkdirSync(dir, { recursive: true });
  const make = (name: string, comment: string): string => {
    const file = join(dir, name);
    execFileSync(keygen, ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { stdio: 'ignore' });
    return file;
  };
  const hostKey = make('host_ed25519', '3rc-lab-host');
  const userKey = make('user_ed25519', '3rc-lab-user');
  const [type, blob] = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, readFileSync(`${userKey}.pub`, 'utf8'), { mode: 0o600 });
  return { dir, hostKey, hostPublicKey: `${type} ${blob}`, userKey, authorizedKeys };
}

/** Polls until 127.0.0.1:port accepts (true), the process exits or the time is up (false). */
export async function listening(port: number, proc: GroupProcess | null, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; round < Math.ceil(timeoutMs / 20) + 1 && Date.now() < deadline; round++) {
    if (proc?.exited()) return false;
    try {
      await tcpConnect('127.0.0.1', port, 500);
      return true;
    } catch {
      await delay(20);
    }
  }
  return false;
}

/**
 * A port on 127.0.0.1 where TCP connects time out: a listener with a backlog of 1 that never
 * accepts (the process stops itself with SIGSTOP once listening), its accept queue filled by our
 * own connections; the kernel then drops further SYNs. Ends with the process (SIGKILL).
 */
export class SilentPort {
  private proc: GroupProcess | null = null;
  private readonly fillers: Socket[] = [];

  constructor(readonly port: number) {}

  async open(): Promise<void> {
    if (this.proc) return;
    for (let attempt = 0; attempt < 3; attempt++) {
      const proc = spawnGroup(requireBinary('perl', 'perl-base'), ['-e', SILENT_PL, String(this.port)]);
      this.proc = proc;
      if (await printed(proc, 'listening', 5_000)) {
        // Fill the accept queue (backlog + 1 connections); stop at the first connect that hangs.
        for (let i = 0; i < 8; i++) {
          const sock = await connectWithin(this.port, 300);
          if (!sock) return;
          this.fillers.push(sock);
        }
        return;
      }
      await this.close();
      await delay(200); // the port may still be held by a dying sshd
    }
    throw new Error(`silent port 127.0.0.1:${this.port} could not be opened`);
  }

  async close(): Promise<void> {
    for (const s of this.fillers.splice(0)) s.destroy();
    const proc = this.proc;
    this.proc = null;
    await proc?.kill();
  }
}

/** Listens on 127.0.0.1:<port> with a backlog of 1, says so, and stops itself (never accepts). */
const SILENT_PL = `use Socket; $| = 1;
socket(S, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
setsockopt(S, SOL_SOCKET, SO_REUSEADDR, 1) or die "setsockopt: $!";
bind(S, sockaddr_in($ARGV[0], inet_aton('127.0.0.1'))) or die "bind: $!";
listen(S, 1) or die "listen: $!";
print "listening\\n"; kill 'STOP', $$; sleep 1 while 1;`;

/** A guest's service: accepts on 127.0.0.1:<port> and closes each connection. */
export const SERVICE_PL = `use Socket; $| = 1;
socket(S, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
setsockopt(S, SOL_SOCKET, SO_REUSEADDR, 1) or die "setsockopt: $!";
bind(S, sockaddr_in($ARGV[0], inet_aton('127.0.0.1'))) or die "bind: $!";
listen(S, 64) or die "listen: $!";
print "listening\\n"; while (1) { accept(C, S) and close(C); }`;

/** Waits until the process printed `word` (true), exited or the time is up (false). */
export async function printed(proc: GroupProcess, word: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < Math.ceil(timeoutMs / 10) + 1 && Date.now() < deadline; i++) {
    if (proc.output().includes(word)) return true;
    if (proc.exited()) return false;
    await delay(10);
  }
  return proc.output().includes(word);
}

function connectWithin(port: number, ms: number): Promise<Socket | null> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    sock.on('error', () => undefined);
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(null);
    }, ms);
    sock.once('connect', () => {
      clearTimeout(timer);
      resolve(sock);
    });
    sock.once('error', () => {
      clearTimeout(timer);
      resolve(null);
    });
  });
}

export class LabSshd {
  private proc: GroupProcess | null = null;
  private readonly silent: SilentPort;
  private readonly config: string;
  private readonly sshd: string;

  constructor(
    readonly name: string,
    readonly port: number,
    dir: string,
    keys: LabKeys,
    forceCommand: string,
  ) {
    this.sshd = requireBinary('/usr/sbin/sshd', 'openssh-server');
    this.silent = new SilentPort(port);
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir
    this.config = join(dir, 'sshd_config');
    writeFileSync(
      this.config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${keys.hostKey}`,
        `AuthorizedKeysFile ${keys.authorizedKeys}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'UsePAM no',
        'UseDNS no',
        'PrintMotd no',
        `PidFile ${join(dir, 'sshd.pid')}`,
        'StrictModes no',
        'LogLevel ERROR',
        'MaxStartups 50:30:100',
        `ForceCommand ${forceCommand}`,
        '',
      ].join('\n'),
    );
  }

  /** `[127.0.0.1]:port key` for known_hosts. */
  knownHostsLine(keys: LabKeys): string {
    return `[127.0.0.1]:${this.port} ${keys.hostPublicKey}`;
  }

  get running(): boolean {
    return this.proc !== null && !this.proc.exited();
  }

  /**
   * Starts it (no-op when running); resolves once the port accepts. Bounded: 3 tries of 5 s.
   * Callers serialize start and stop of one machine (lab-machines.ts runs them on its chain).
   */
  async start(): Promise<void> {
    if (this.running) return;
    await this.silent.close();
    let last = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const proc = spawnGroup(this.sshd, ['-D', '-e', '-f', this.config]);
      this.proc = proc;
      if (await listening(this.port, proc, 5_000)) return;
      last = proc.exited() ? `exited: ${proc.output().trim()}` : 'port not accepting within 5 s';
      await proc.kill();
      this.proc = null;
      // The port may still be held by a dying copy: give it a moment.
      await delay(200);
    }
    throw new Error(`sshd of ${this.name} did not start: ${last}`);
  }

  /** The machine stops answering: sshd gone (with its sessions), connects time out. */
  async silence(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    await proc?.kill();
    await this.silent.open();
  }

  /** Everything gone (end of the lab). */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    await Promise.all([proc?.kill(), this.silent.close()]);
  }
}
