/**
 * Sim SSH: maps the endpoint address to a host (ip / ssh address) or a guest (VM guestAddress)
 * and understands the few commands the controller sends. Anything else exits 127, like a shell.
 */
import { RrcError } from '../../errors.js';
import type { SshSpec } from '../../core/types.js';
import { throwIfAborted } from '../abort.js';
import type { CallOptions, RemoteShell, ShellResult } from '../env.js';
import type { SimContext } from './sim-context.js';

export interface SimShellOptions {
  /** Restarts the hypervisor when run on a host (policy.hypervisorRestartCommand). */
  hypervisorRestartCommand?: string;
  /** Reboot the OS they run on, host or guest. */
  rebootCommands?: string[];
}

interface Outcome {
  result: ShellResult;
  /** How long the command runs before it returns. */
  durationMs: number;
}

const ok = (stdout = '', durationMs = 0): Outcome => ({ result: { code: 0, stdout, stderr: '' }, durationMs });

function notFound(command: string): Outcome {
  const word = command.split(/\s+/)[0] ?? command;
  return { result: { code: 127, stdout: '', stderr: `bash: line 1: ${word}: command not found\n` }, durationMs: 0 };
}

export function createSimShell(ctx: SimContext, opts: SimShellOptions = {}): RemoteShell {
  const { world, clock, latency } = ctx;
  const hypervisorRestart = opts.hypervisorRestartCommand ?? 'systemctl restart libvirtd';
  const reboots = new Set(opts.rebootCommands ?? ['systemctl reboot', 'reboot']);

  function onHost(host: string, command: string): Outcome {
    if (command === hypervisorRestart) return ok('', world.restartHypervisor(host));
    // The connection drops as the host goes down; treated as success, as the real driver does.
    if (reboots.has(command)) {
      world.rebootOs(host);
      return ok();
    }
    if (command === 'true') return ok();
    if (command === 'hostname') return ok(`${host}\n`);
    return notFound(command);
  }

  function onGuest(host: string, vmName: string, command: string): Outcome {
    const check = world.vmSpec(vmName).serviceCheck;
    const service = world.domain(host, vmName)?.service;
    if (check?.restartCommand !== undefined && command === check.restartCommand) {
      return ok('', world.restartService(host, vmName));
    }
    if (check?.kind === 'ssh' && command === check.command) {
      return service === 'up' ? ok() : { result: { code: 1, stdout: '', stderr: 'service is not running\n' }, durationMs: 0 };
    }
    if (reboots.has(command)) {
      world.rebootGuest(host, vmName);
      return ok();
    }
    if (command === 'true') return ok();
    if (command === 'hostname') return ok(`${vmName}\n`);
    return notFound(command);
  }

  return {
    async run(endpoint: SshSpec, command: string, { timeoutMs, signal }: { timeoutMs: number } & CallOptions): Promise<ShellResult> {
      const started = clock.now();
      const where = `ssh ${endpoint.user}@${endpoint.host}:${endpoint.port}`;
      const target = world.resolveAddress(endpoint.host);
      ctx.log.debug({ target: endpoint.host, op: 'shell.run', command }, 'sim ssh call');
      throwIfAborted(signal, where);
      const answers =
        target !== undefined &&
        (target.vm === undefined ? world.hostAnswers(target.host) : world.guestAnswers(target.host, target.vm));
      if (!target || !answers) {
        await ctx.wait(Math.min(latency.sshConnectTimeoutSeconds, timeoutMs / 1000), signal);
        throw new RrcError('RRC_ERR_UNREACHABLE', `${where}: connection timed out`);
      }
      await ctx.wait(latency.sshLatencySeconds, signal);
      // Aborted before the command started: it never runs. Once started it runs to its end on the
      // host (like a remote command whose channel is closed); only our wait for it stops.
      throwIfAborted(signal, where);
      const trimmed = command.trim();
      const outcome =
        target.vm === undefined ? onHost(target.host, trimmed) : onGuest(target.host, target.vm, trimmed);
      const remainingMs = timeoutMs - (clock.now() - started);
      if (outcome.durationMs > remainingMs) {
        await ctx.wait(Math.max(0, remainingMs) / 1000, signal);
        throw new RrcError('RRC_ERR_DRIVER_TIMEOUT', `${where}: "${trimmed}" still running after ${timeoutMs / 1000} s`);
      }
      await ctx.wait(outcome.durationMs / 1000, signal);
      return outcome.result;
    },
  };
}
