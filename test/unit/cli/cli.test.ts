/**
 * Runs the real `3rc` launcher (bin/3rc.js) as a child process against a real buildApp listening
 * on 127.0.0.1:0 with the FakeController. Children run asynchronously so this process can serve.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildApp, type ApiApp } from '../../../src/api/app.js';
import { freeTcpPort } from '../../lab/peers/common.js';
import { run, setCliToken } from './run-cli.js';
import { tokenFor } from '../api/auth-helper.js';
import { defaultApiAccess } from '../../../src/api/schemas/api-access.js';
import { FakeController, hostSpec, vmSpec } from '../api/fake-controller.js';

describe('3rc CLI', () => {
  let app: ApiApp;
  let controller: FakeController;
  let api: string;
  const dir = mkdtempSync(join(tmpdir(), '3rc-cli-'));

  before(async () => {
    controller = new FakeController();
    await controller.addHost(hostSpec('hv1', '52:54:00:00:00:01'), 'test');
    await controller.addHost(hostSpec('spare1', '52:54:00:00:00:09', 'spare'), 'test');
    await controller.addVm(vmSpec('web1', 'hv1', '6f1c7c6e-2b1a-4c47-9a53-0d6a3b0e1a01'), 'test');
    app = buildApp({ controller, access: { allow: { ...defaultApiAccess().allow, secretRefs: ['bmc-lab'] } } });
    api = await app.listen({ host: '127.0.0.1', port: 0 });
    setCliToken(await tokenFor(controller.store, 'admin', 'cli-test'));
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--help lists every command', async () => {
    const r = await run(['--help'], api);
    assert.equal(r.code, 0, r.stderr);
    for (const c of ['controller', 'status', 'host', 'vm', 'incidents', 'incident', 'maintenance', 'release', 'rung']) {
      assert.match(r.stdout, new RegExp(`^  ${c}\\b`, 'm'), `${c} missing from --help`);
    }
  });

  it('host list --json prints the hosts as JSON', async () => {
    const r = await run(['host', 'list', '--json'], api);
    assert.equal(r.code, 0, r.stderr);
    const hosts = JSON.parse(r.stdout) as Array<{ name: string; createdAt: string }>;
    assert.deepEqual(hosts.map((h) => h.name), ['hv1', 'spare1']);
    assert.match(hosts[0]?.createdAt ?? '', /^\d{4}-\d\d-\d\dT/);
    assert.equal(r.stderr, '');
  });

  it('host add from flags normalizes the MAC, records the actor; bad flags exit 2 and send nothing', async () => {
    const ok = await run(
      ['host', 'add', '--name', 'hv2', '--mac', '52-54-00-AA-00-02', '--ip', '10.0.0.12', '--hypervisor-uri', 'qemu+ssh://root@hv2/system',
        '--bmc-address', '10.0.1.12', '--bmc-user', 'admin', '--bmc-secret', 'bmc-lab', '--cores', '16', '--ram-gb', '128', '--disk-tb', '2'],
      api,
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /added host hv2/);
    const rec = await controller.store.getHost('hv2');
    assert.deepEqual(rec?.macs, ['52:54:00:aa:00:02']);
    assert.equal(rec?.bmc?.port, 623);
    assert.equal((await controller.store.listAudit(1))[0]?.actor, 'cli-test');

    const audits = (await controller.store.listAudit()).length; // a usage error sends nothing: not even a refused request
    const bad = await run(['host', 'add', '--name', 'hv3', '--mac', 'zz', '--ip', '10.0.0.13', '--hypervisor-uri', 'qemu:///system', '--cores', '4', '--ram-gb', '8', '--disk-tb', '1', '--bmc-address', '10.0.1.13'], api);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.split('\n').filter(Boolean).length, 1, bad.stderr);
    assert.match(bad.stderr, /^3rc: RRC_ERR_VALIDATION: .*--mac #1: invalid MAC address "zz".*--bmc-user: is required/);
    assert.equal((await controller.store.listAudit()).length, audits);
  });

  it('vm add --file, then a duplicate is a 409 passed through with exit 1', async () => {
    const file = join(dir, 'vm.yaml');
    writeFileSync(file, 'name: db1\nuuid: 6F1C7C6E-2B1A-4C47-9A53-0D6A3B0E1A02\nhomeHost: hv1\nresources: { cores: 2, ramGb: 8, diskGb: 50 }\nserviceCheck: { kind: tcp, port: 5432 }\n');
    const ok = await run(['vm', 'add', '--file', file], api);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((await controller.store.getVm('db1'))?.uuid, '6f1c7c6e-2b1a-4c47-9a53-0d6a3b0e1a02');
    const dup = await run(['vm', 'add', '--file', file], api);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^3rc: RRC_ERR_CONFLICT: .*db1.*\n$/);
  });

  it('operator actions and incidents: rung by name, incidents --open, incident show', async () => {
    const rung = await run(['rung', 'web1', 'reboot', '--json'], api);
    assert.equal(rung.code, 0, rung.stderr);
    assert.equal(JSON.parse(rung.stdout).rung, 1);
    const list = await run(['incidents', '--open', '--json'], api);
    const incidents = JSON.parse(list.stdout) as Array<{ id: string }>;
    assert.equal(incidents.length, 1);
    const show = await run(['incident', 'show', incidents[0]?.id ?? ''], api);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^incident: +vm:web1#1$/m);
    assert.match(show.stdout, /Timeline:\nAT +KIND +MESSAGE/);
  });

  it('status prints a health line and an aligned table', async () => {
    const r = await run(['status'], api);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^controller up .*, env fake, store memory/);
    assert.match(r.stdout, /^TARGET +PHASE +FOR/m);
    assert.match(r.stdout, /^host:hv1 +healthy /m);
  });

  it('a 404 is one error line and exit 1', async () => {
    const r = await run(['host', 'show', 'nope'], api);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, '3rc: RRC_ERR_NOT_FOUND: host "nope" not found\n');
  });

  it('an unreachable API is one line naming the URL and exit 1', async () => {
    const url = `http://127.0.0.1:${await freeTcpPort()}`;
    const r = await run(['host', 'list'], url);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `3rc: RRC_ERR_CONTROLLER_UNREACHABLE: controller not reachable at ${url} (is \`3rc controller\` running?)\n`);
  });

  it('usage errors exit 2 with one line', async () => {
    const r = await run(['maintenance', 'maybe', 'hv1'], api);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^3rc: usage: .*maybe.*\n$/);
  });
});
