/**
 * `3rc host power|fence|probe` and `3rc vm move|reboot` as child processes (bin/3rc.js) against
 * buildApp on 127.0.0.1:0 with the FakeController. Each child costs ~2.5 s of tsx start-up, so
 * there are five; formatting and timeout selection are also checked in-process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Command } from 'commander';
import { buildApp, type ApiApp } from '../../../src/api/app.js';
import type { VmProbeOut } from '../../../src/api/schemas/operator.js';
import { RrcError } from '../../../src/errors.js';
import type { ApiClient } from '../../../src/cli/client.js';
import { group } from '../../../src/cli/context.js';
import { CHANGE_TIMEOUT_S, driverClient } from '../../../src/cli/commands/host-ops.js';
import { vmProbeText } from '../../../src/cli/commands/vm-ops.js';
import { buildProgram } from '../../../src/cli/main.js';
import { run, setCliToken } from './run-cli.js';
import { tokenFor } from '../api/auth-helper.js';
import { defaultApiAccess } from '../../../src/api/schemas/api-access.js';
import { FakeController, hostSpec, vmSpec } from '../api/fake-controller.js';


describe('3rc operator commands', () => {
  let app: ApiApp;
  let controller: FakeController;
  let api: string;

  before(async () => {
    controller = new FakeController();
    await controller.addHost(hostSpec('hv1', '52:54:00:00:00:01'), 'test');
    await controller.addHost(hostSpec('spare1', '52:54:00:00:00:09', 'spare'), 'test');
    await controller.addVm(vmSpec('web1', 'hv1', '6f1c7c6e-2b1a-4c47-9a53-0d6a3b0e1a01'), 'test');
    app = buildApp({ controller, access: { allow: { ...defaultApiAccess().allow, secretRefs: ['bmc-lab'] } } });
    api = await app.listen({ host: '127.0.0.1', port: 0 });
    setCliToken(await tokenFor(controller.store, 'admin', 'cli-test'));
  });
  after(async () => app.close());

  it('host fence that cannot confirm exits 1 with one line naming the reason', async () => {
    const reason = 'BMC 10.0.1.1 still reports power on after 3 power-off commands (30s)';
    controller.failNext('hostFence', new RrcError('RRC_ERR_FENCE_UNCONFIRMED', reason));
    const r = await run(['host', 'fence', 'hv1'], api);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `3rc: RRC_ERR_FENCE_UNCONFIRMED: fencing could not be confirmed: ${reason}\n`);
    assert.deepEqual(controller.calls.at(-1), { method: 'hostFence', args: ['hv1', 'cli-test'] });
  });

  it('host power <host> status --json prints the API answer', async () => {
    controller.power.set('hv1', 'off');
    const r = await run(['host', 'power', 'hv1', 'status', '--json'], api);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { host: 'hv1', op: 'status', power: 'off' });
    assert.equal(r.stderr, '');
  });

  it('host probe prints one line per probe field and the signature', async () => {
    controller.power.set('hv1', 'off');
    controller.hostObservations.set('hv1', { details: { ipmi: 'chassis power off' } });
    const r = await run(['host', 'probe', 'hv1'], api);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'host:          hv1',
        'bmcReachable:  yes',
        'power:         off',
        'reachable:     no',
        'shellOk:       no SSH configured',
        'hypervisorOk:  no',
        'details.ipmi:  chassis power off',
        'signature:     host-power-off (BMC reports chassis power off)',
        '',
      ].join('\n'),
    );
  });

  it('vm move --to moves the VM as the CLI actor and prints one line', async () => {
    const r = await run(['vm', 'move', 'web1', '--to', 'spare1'], api);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'web1  moved hv1 -> spare1\n');
    assert.equal((await controller.store.getVm('web1'))?.currentHost, 'spare1');
    assert.deepEqual(controller.calls.at(-1), { method: 'vmMove', args: ['web1', 'spare1', 'cli-test'] });
  });

  it('an explicit --timeout overrides the long default of a driver command', async () => {
    const real = controller.vmPower.bind(controller);
    controller.vmPower = async (...args) => {
      await new Promise((r) => setTimeout(r, 2_500));
      return real(...args);
    };
    try {
      const r = await run(['vm', 'reboot', 'web1', '--timeout', '1'], api);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `3rc: RRC_ERR_CONTROLLER_UNREACHABLE: controller at ${api} did not answer within 1s\n`);
    } finally {
      controller.vmPower = real;
    }
  });
});

describe('3rc operator commands in-process', () => {
  /** The timeout (s) a driver command would use for `argv`, read from the client it builds. */
  async function timeoutFor(argv: string[]): Promise<number> {
    const program = buildProgram({});
    let client: ApiClient | undefined;
    group(program, 'host')
      .command('noop')
      .action((_opts: unknown, cmd: Command) => {
        client = driverClient(cmd, CHANGE_TIMEOUT_S);
      });
    await program.parseAsync(['node', '3rc', ...argv]);
    return (client as unknown as { timeoutMs: number }).timeoutMs / 1000;
  }

  it('driver commands wait 120 s unless --timeout is given, before or after the command', async () => {
    assert.equal(await timeoutFor(['host', 'noop']), 120);
    assert.equal(await timeoutFor(['--timeout', '5', 'host', 'noop']), 5);
    assert.equal(await timeoutFor(['host', 'noop', '--timeout', '7']), 7);
  });

  it('every operator verb is registered under host and vm', () => {
    const program = buildProgram({});
    const names = (g: string) => group(program, g).commands.map((c) => c.name());
    for (const c of ['power', 'bootdev', 'fence', 'probe', 'add', 'list']) assert.ok(names('host').includes(c), `host ${c}`);
    for (const c of ['probe', 'reboot', 'restart', 'move', 'add']) assert.ok(names('vm').includes(c), `vm ${c}`);
  });

  it('vm probe text: one line per probe field, then the signature', () => {
    const p: VmProbeOut = {
      vm: 'web1',
      host: 'hv1',
      observation: { hostDown: false, hypervisorOk: true, domain: 'running', guestReachable: false, serviceOk: null },
      signature: { code: 'vm-hung', healthy: false, summary: 'domain running but guest does not answer' },
    };
    assert.equal(
      vmProbeText(p),
      [
        'vm:              web1',
        'host:            hv1',
        'hostDown:        no',
        'hypervisorOk:    yes',
        'domain:          running',
        'guestReachable:  no',
        'serviceOk:       no service check',
        'signature:       vm-hung (domain running but guest does not answer)',
        '',
      ].join('\n'),
    );
  });
});
