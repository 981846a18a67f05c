/** createRealEnv wiring and secretResolver. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { realClock as wallClock } from '../../../src/env/real/clock.js';
import { createRealEnv } from '../../../src/env/real/real-env.js';
import { secretResolver } from '../../../src/env/real/secrets.js';
import { makeTempDir } from '../../lab/peers/common.js';
import { libvirtTestUri, writeLibvirtTestXml } from '../../lab/peers/libvirt-xml.js';
import { expectRrc, hostSpec, silentLog, vmSpec } from './fixtures.js';

const tmp = makeTempDir('real-env');
after(() => tmp.remove());

describe('secretResolver', () => {
  test('env var first, then file; one trailing newline trimmed', async () => {
    const file = join(tmp.dir, 'pw');
    writeFileSync(file, 'from-file\n');
    const r = secretResolver(
      { a: { env: 'A' }, b: { file }, c: { env: 'UNSET', file }, d: { env: 'UNSET' } },
      { A: 'from-env\n' },
    );
    assert.equal(await r('a'), 'from-env');
    assert.equal(await r('b'), 'from-file');
    assert.equal(await r('c'), 'from-file');
    const { err } = await expectRrc(r('d'), ['RRC_ERR_CONFIG_INVALID']);
    assert.match(err.message, /environment variable UNSET is not set/);
  });

  test('unknown refs and unreadable files are clear errors without the value', async () => {
    const r = secretResolver({ gone: { file: join(tmp.dir, 'missing') } }, {});
    const unknown = await expectRrc(r('toString'), ['RRC_ERR_CONFIG_INVALID']);
    assert.match(unknown.err.message, /unknown secret ref "toString" \(configured: gone\)/);
    const unreadable = await expectRrc(r('gone'), ['RRC_ERR_CONFIG_INVALID']);
    assert.match(unreadable.err.message, /cannot read file .*missing \(ENOENT\)/);
  });
});

describe('createRealEnv', () => {
  test('wires the real drivers; reinstall without a provisioner fails loudly', async () => {
    const uri = libvirtTestUri(
      writeLibvirtTestXml(tmp.dir, { cpus: 2, memoryMb: 2048, domains: [{ name: 'vm1', uuid: '00000000-0000-4000-8000-0000000000b1' }] }),
    );
    const env = createRealEnv({
      clock: wallClock,
      log: silentLog,
      resolveSecret: secretResolver({}),
      knownHostsFile: join(tmp.dir, 'known_hosts'),
      hypervisorRestartCommand: 'systemctl restart libvirtd',
      timeouts: { probe: { tcpMs: 500, libvirtMs: 1000 } },
    });
    try {
      assert.equal(env.name, 'real');
      assert.equal(env.hypervisorRestartCommand, 'systemctl restart libvirtd');
      const host = hostSpec({ hypervisorUri: uri });
      assert.deepEqual(await env.hypervisor.nodeInfo(host), { cores: 2, memoryMb: 2048 });
      const vm = vmSpec({ name: 'vm1', uuid: '00000000-0000-4000-8000-0000000000b1' });
      assert.equal((await env.probes.probeVm(vm, host)).domain, 'running');
      const o = await env.probes.probeHost(host);
      assert.equal(o.hypervisorOk, true);
      assert.equal(o.bmcReachable, null);
      await expectRrc(env.power.status(host), ['RRC_ERR_CONFIG_INVALID']);
      const { err } = await expectRrc(
        env.provisioner.reinstall(host, { deadlineMs: 1000, onMilestone: () => undefined }),
        ['RRC_ERR_MISSING_DEPENDENCY'],
      );
      assert.match(err.message, /PXE provisioner not configured/);
    } finally {
      await env.close();
    }
  });
});
