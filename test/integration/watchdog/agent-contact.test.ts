/**
 * The host watchdog agent (kickstart/rrc-watchdog.sh) as a real process: real bash, curl against a
 * real HTTP server standing in for the controller's /health, real TCP listeners on 127.0.0.2-4 as
 * its peers' sshd. The watchdog device is a plain file (fake-watchdog-device: no /dev/watchdog can
 * be handed to a test here), so every feed is a byte appended to it and a disarm is the magic 'V';
 * the sysrq trigger the agent writes 'b' to when it must reset the host itself is a file too (never
 * the real /proc/sysrq-trigger of the machine running the tests).
 * The QEMU test next to this one shows a real (emulated) watchdog resetting a machine.
 *
 * Sync points are the agent's own log lines, not sleeps: a loaded machine only makes it slower.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { makeTempDir } from '../../lab/peers/common.js';

const AGENT = join(import.meta.dirname, '../../../kickstart/rrc-watchdog.sh');
const PEERS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
/** Generous for a loaded CI machine; a quiet one needs a few seconds per step. */
const STEP_MS = 60_000;

const dir = makeTempDir('rrc-watchdog-agent');
after(() => dir.remove());

function listenHttp(): Promise<HttpServer> {
  const server = createHttpServer((_req, res) => res.end('{"ok":true}'));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function listenTcp(address: string, port: number): Promise<TcpServer> {
  const server = createTcpServer((socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve(server));
  });
}

const close = (s: HttpServer | TcpServer) => new Promise<void>((resolve) => s.close(() => resolve()));
const portOf = (s: HttpServer | TcpServer) => (s.address() as { port: number }).port;

class Agent {
  readonly device: string;
  readonly sysrq: string;
  readonly proc: ChildProcess;
  private log = '';
  private readonly waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;

  constructor(name: string, env: Record<string, string>) {
    this.device = join(dir.dir, `${name}.fake-watchdog-device`);
    this.sysrq = join(dir.dir, `${name}.fake-sysrq-trigger`);
    writeFileSync(this.device, '');
    writeFileSync(this.sysrq, '');
    this.proc = spawn('bash', [AGENT], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', RRC_WATCHDOG_CONF: '/nonexistent', RRC_WATCHDOG_DEVICE: this.device, RRC_SYSRQ_TRIGGER: this.sysrq, RRC_WATCHDOG_TIMEOUT: '20', RRC_INTERVAL: '1', RRC_CHECK_TIMEOUT: '1', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc.stderr!.on('data', (b: Buffer) => {
      this.log += b.toString();
      for (const w of this.waiters.splice(0)) w();
    });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
  }

  feeds(): number {
    return readFileSync(this.device, 'utf8').split('').filter((c) => c === '.').length;
  }

  /** Resolves once the agent has logged `text` `times` times. */
  async logged(text: string, times = 1): Promise<void> {
    const deadline = Date.now() + STEP_MS;
    while (this.log.split(text).length - 1 < times) {
      assert.ok(Date.now() < deadline, `agent never logged "${text}"; its log:\n${this.log}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 500);
      });
    }
  }

  /** Resolves once `count` more feeds than `from` are in the device. */
  async fedAgain(from: number, count = 2): Promise<void> {
    const deadline = Date.now() + STEP_MS;
    while (this.feeds() < from + count) {
      assert.ok(Date.now() < deadline, `the agent stopped feeding (${this.feeds()} feeds); its log:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async stop(): Promise<number | null> {
    this.proc.kill('SIGTERM');
    return this.exited;
  }
}

describe('rrc-watchdog agent', { timeout: 6 * STEP_MS }, () => {
  it('feeds while a controller or a majority of peers answer, stops with guests and no contact, resumes, and disarms on stop', async () => {
    const controller = await listenHttp();
    const peerPort = portOf(controller) + 1;
    const peers: Array<TcpServer | null> = await Promise.all(PEERS.map((a) => listenTcp(a, peerPort)));
    const agent = new Agent('contact', {
      RRC_CONTROLLERS: `http://127.0.0.1:${portOf(controller)}`,
      RRC_PEERS: PEERS.join(' '),
      RRC_PEER_PORT: String(peerPort),
      RRC_GUESTS_COMMAND: 'echo guest-1',
    });
    try {
      await agent.logged('armed');
      await agent.fedAgain(0);

      // Controller gone, three of three peers, then two of three: a majority, still fed.
      const url = `http://127.0.0.1:${portOf(controller)}`;
      await close(controller);
      await agent.fedAgain(agent.feeds());
      await close(peers[0]!);
      peers[0] = null;
      await agent.fedAgain(agent.feeds());
      assert.ok(!agent.proc.exitCode, 'still running');

      // One of three: no majority, guests run: no more feeds.
      await close(peers[1]!);
      peers[1] = null;
      await agent.logged('not feeding the watchdog');
      const stoppedAt = agent.feeds();
      await new Promise((r) => setTimeout(r, 3000)); // three intervals
      assert.equal(agent.feeds(), stoppedAt, 'no feed without contact while guests run');
      assert.ok(!readFileSync(agent.device, 'utf8').includes('V'), 'not disarmed: the device will reset the host');

      // The controller answers again (same address): fed again.
      const back = createHttpServer((_req, res) => res.end('ok'));
      await new Promise<void>((resolve) => back.listen(Number(new URL(url).port), '127.0.0.1', () => resolve()));
      await agent.logged('contact back');
      await agent.fedAgain(stoppedAt);
      await close(back);

      assert.equal(readFileSync(agent.sysrq, 'utf8'), '', 'contact came back within the timeout: no forced reset');
      assert.equal(await agent.stop(), 0);
      assert.ok(readFileSync(agent.device, 'utf8').endsWith('V'), 'a deliberate stop disarms with the magic close');
    } finally {
      agent.proc.kill('SIGKILL');
      for (const p of peers) if (p) await close(p);
    }
  });

  it('keeps feeding without contact while no guest runs; counts a failing guest list as guests; resets itself when the device timeout is unknown', async () => {
    const idle = new Agent('idle', { RRC_CONTROLLERS: 'http://127.0.0.1:9', RRC_GUESTS_COMMAND: 'true' });
    const blind = new Agent('blind', { RRC_CONTROLLERS: 'http://127.0.0.1:9', RRC_GUESTS_COMMAND: 'false', RRC_WATCHDOG_TIMEOUT: '6' });
    try {
      await idle.fedAgain(0, 3);
      await blind.logged('not feeding the watchdog');
      assert.equal(blind.feeds(), 0, 'a hypervisor that cannot list its guests may be running some');
      // A file has no /sys/class/watchdog timeout to read back: the agent cannot trust the device
      // to fire within 6 s, so it forces the reset itself once 6 s passed without contact.
      await blind.logged('cannot read the timeout');
      await blind.logged('resetting the host now');
      assert.equal(readFileSync(blind.sysrq, 'utf8')[0], 'b');
      assert.equal(readFileSync(idle.sysrq, 'utf8'), '', 'no guests: never reset');
    } finally {
      await Promise.all([idle.stop(), blind.stop()]);
    }
  });

  it('prints its declared lease and refuses settings that could starve the device', () => {
    const run = (env: Record<string, string>, args: string[] = []) =>
      spawnSync('bash', [AGENT, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', RRC_WATCHDOG_CONF: '/nonexistent', ...env }, encoding: 'utf8', timeout: 10_000 });
    assert.equal(run({}, ['lease']).stdout.trim(), String(45 + 5 + 3), 'the shipped defaults');
    assert.equal(run({ RRC_WATCHDOG_TIMEOUT: '30', RRC_INTERVAL: '2', RRC_CHECK_TIMEOUT: '2' }, ['lease']).stdout.trim(), '34');
    const starving = run({ RRC_WATCHDOG_TIMEOUT: '5', RRC_INTERVAL: '4', RRC_CHECK_TIMEOUT: '3' }, ['lease']);
    assert.equal(starving.status, 2);
    assert.match(starving.stderr, /must stay below RRC_WATCHDOG_TIMEOUT \(5\)/);
    const garbage = run({ RRC_INTERVAL: '1; reboot' }, ['lease']);
    assert.equal(garbage.status, 2);
    assert.match(garbage.stderr, /not a whole number/);
  });
});

describe('rrc-watchdog defaults', () => {
  it('match the controller side (src/drivers/pxe/watchdog-agent.ts)', async () => {
    const { WATCHDOG_AGENT_DEFAULTS, agentLeaseSeconds } = await import('../../../src/drivers/pxe/watchdog-agent.js');
    const script = readFileSync(AGENT, 'utf8');
    assert.match(script, new RegExp(`TIMEOUT=\\$\\{RRC_WATCHDOG_TIMEOUT:-${WATCHDOG_AGENT_DEFAULTS.timeoutSeconds}\\}`));
    assert.match(script, new RegExp(`INTERVAL=\\$\\{RRC_INTERVAL:-${WATCHDOG_AGENT_DEFAULTS.intervalSeconds}\\}`));
    assert.match(script, new RegExp(`CHECK_TIMEOUT=\\$\\{RRC_CHECK_TIMEOUT:-${WATCHDOG_AGENT_DEFAULTS.checkTimeoutSeconds}\\}`));
    const lease = spawnSync('bash', [AGENT, 'lease'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', RRC_WATCHDOG_CONF: '/nonexistent' }, encoding: 'utf8', timeout: 10_000 });
    assert.equal(Number(lease.stdout.trim()), agentLeaseSeconds());
  });
});
