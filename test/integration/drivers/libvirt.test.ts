/** LibvirtDriver on the real binding with libvirt's test:/// driver (one file = one host). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bindingConnect, connectBinding, LibvirtDriver, type LibvirtConnect, type LibvirtConnection } from '../../../src/drivers/libvirt.js';
import { freeTcpPort, makeTempDir } from '../../lab/peers/common.js';
import { libvirtTestUri, writeLibvirtTestXml } from '../../lab/peers/libvirt-xml.js';
import { expectRrc, hostSpec, vmSpec } from './fixtures.js';

const U = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;

/** Real binding, with per-method overrides and a log of calls (by method name). */
function wrapped(
  calls: string[],
  override: Partial<Record<keyof LibvirtConnection, (...a: unknown[]) => Promise<unknown>>> = {},
): LibvirtConnect {
  return async (uri) => {
    const real = await connectBinding(uri);
    return new Proxy(real, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          calls.push(String(prop));
          const o = override[prop as keyof LibvirtConnection];
          return o ? o(...args) : (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  };
}

describe('LibvirtDriver with test:/// URIs', () => {
  const tmp = makeTempDir('libvirt');
  let primaryUri: string;
  let spareUri: string;
  const drivers: LibvirtDriver[] = [];
  const mk = (opts: ConstructorParameters<typeof LibvirtDriver>[0] = {}): LibvirtDriver => {
    const d = new LibvirtDriver({ callTimeoutMs: 3000, pollMs: 50, ...opts });
    drivers.push(d);
    return d;
  };

  before(() => {
    primaryUri = libvirtTestUri(
      writeLibvirtTestXml(tmp.dir, {
        cpus: 8,
        memoryMb: 16384,
        domains: [
          { name: 'vm1', uuid: U(1), memoryMb: 1024, vcpus: 2 },
          { name: 'vm2', uuid: U(2), state: 'shutoff' },
          { name: 'vm3', uuid: U(3), state: 'paused' },
        ],
      }, 'primary.xml'),
    );
    spareUri = libvirtTestUri(writeLibvirtTestXml(tmp.dir, { cpus: 4, memoryMb: 8192, domains: [] }, 'spare.xml'));
  });
  after(async () => {
    await Promise.all(drivers.map((d) => d.close()));
    tmp.remove();
  });

  const primary = () => hostSpec({ name: 'h1', hypervisorUri: primaryUri });
  const spare = () => hostSpec({ name: 'spare1', role: 'spare', hypervisorUri: spareUri });
  const vm = (n: number) => vmSpec({ name: `vm${n}`, uuid: U(n) });

  test('ping, list, domainState, nodeInfo', async () => {
    const d = mk();
    await d.ping(primary());
    assert.deepEqual(await d.listDomains(primary()), [
      { name: 'vm1', uuid: U(1), state: 'running' },
      { name: 'vm2', uuid: U(2), state: 'shutoff' },
      { name: 'vm3', uuid: U(3), state: 'paused' },
    ]);
    assert.equal(await d.domainState(primary(), vm(1)), 'running');
    assert.equal(await d.domainState(primary(), vmSpec({ name: 'ghost', uuid: U(9) })), 'missing');
    // Lookup falls back to the name when the UUID is unknown or malformed.
    assert.equal(await d.domainState(primary(), vmSpec({ name: 'vm2', uuid: 'not-a-uuid' })), 'shutoff');
    assert.deepEqual(await d.nodeInfo(primary()), { cores: 8, memoryMb: 16384 });
    assert.deepEqual(await d.nodeInfo(spare()), { cores: 4, memoryMb: 8192 });
  });

  test('one connection per URI: state persists; resetConnections() resets it like a restarted hypervisor', async () => {
    const d = mk();
    await d.destroy(primary(), vm(1));
    assert.equal(await d.domainState(primary(), vm(1)), 'shutoff');
    await d.resetConnections();
    assert.equal(await d.domainState(primary(), vm(1)), 'running');
  });

  test('soft reboot: shutdown, wait, create', async () => {
    const calls: string[] = [];
    const d = mk({ connect: wrapped(calls) });
    await d.reboot(primary(), vm(1), { shutdownTimeoutMs: 2000 });
    assert.equal(await d.domainState(primary(), vm(1)), 'running');
    assert.ok(calls.includes('domainShutdown') && calls.includes('domainCreate'));
    assert.ok(!calls.includes('domainDestroy'), calls.join(','));
  });

  test('reboot falls back to destroy when the guest ignores the shutdown', async () => {
    const calls: string[] = [];
    const d = mk({ connect: wrapped(calls, { domainShutdown: async () => undefined }) });
    const started = Date.now();
    await d.reboot(primary(), vm(1), { shutdownTimeoutMs: 300 });
    assert.ok(Date.now() - started >= 250);
    const i = calls.indexOf('domainDestroy');
    assert.ok(i > calls.indexOf('domainShutdown') && calls.indexOf('domainCreate') > i, calls.join(','));
    assert.equal(await d.domainState(primary(), vm(1)), 'running');
  });

  test('reboot of a paused guest destroys and starts it; missing domain is NOT_FOUND', async () => {
    const d = mk();
    await d.reboot(primary(), vm(3), { shutdownTimeoutMs: 300 });
    assert.equal(await d.domainState(primary(), vm(3)), 'running');
    await expectRrc(d.reboot(primary(), vmSpec({ name: 'ghost', uuid: U(9) }), { shutdownTimeoutMs: 100 }), ['RRC_ERR_NOT_FOUND']);
  });

  test('restart: destroy + create when running, create when off', async () => {
    const calls: string[] = [];
    const d = mk({ connect: wrapped(calls) });
    await d.restart(primary(), vm(1));
    assert.ok(calls.includes('domainDestroy') && calls.includes('domainCreate'));
    assert.equal(await d.domainState(primary(), vm(1)), 'running');
    calls.length = 0;
    await d.restart(primary(), vm(2));
    assert.ok(!calls.includes('domainDestroy'), calls.join(','));
    assert.equal(await d.domainState(primary(), vm(2)), 'running');
  });

  test('destroy and undefine are no-ops when not running / not defined', async () => {
    const d = mk();
    await d.destroy(primary(), vm(2)); // shutoff already
    await d.destroy(primary(), vmSpec({ name: 'ghost', uuid: U(9) }));
    await d.undefine(primary(), vm(2));
    assert.equal(await d.domainState(primary(), vm(2)), 'missing');
    await d.undefine(primary(), vm(2));
    await d.destroy(primary(), vm(1));
    assert.equal(await d.domainState(primary(), vm(1)), 'shutoff');
  });

  test('defineAndStart on the spare from the domain XML of the primary', async () => {
    // The XML a controller would have stored: dumped from the primary by the binding.
    const raw = await connectBinding(primaryUri);
    await raw.connectOpen();
    const xml = await (raw as unknown as { domainGetXMLDesc(d: object): Promise<string> }).domainGetXMLDesc(
      await raw.domainLookupByName('vm1'),
    );
    await raw.connectClose();
    const d = mk();
    const moving = vmSpec({ name: 'vm1', uuid: U(1), domainXml: xml, currentHost: 'spare1' });
    assert.equal(await d.domainState(spare(), moving), 'missing');
    await d.defineAndStart(spare(), moving);
    assert.equal(await d.domainState(spare(), moving), 'running');
    await d.defineAndStart(spare(), moving); // idempotent
    assert.deepEqual(await d.listDomains(spare()), [{ name: 'vm1', uuid: U(1), state: 'running' }]);
    await expectRrc(d.defineAndStart(spare(), vmSpec({ name: 'noxml', uuid: U(8) })), ['RRC_ERR_CONFIG_INVALID']);
  });

  test('unreachable hypervisors: RRC_ERR_UNREACHABLE', async () => {
    const d = mk();
    const { err } = await expectRrc(d.ping(hostSpec({ hypervisorUri: 'test:///nonexistent/3rc.xml' })), ['RRC_ERR_UNREACHABLE']);
    assert.match(err.message, /host h1 hypervisor test:\/\/\/nonexistent/);
    const port = await freeTcpPort();
    await expectRrc(d.ping(hostSpec({ hypervisorUri: `qemu+tcp://127.0.0.1:${port}/system` })), ['RRC_ERR_UNREACHABLE']);
  });

  test('binding not loadable: RRC_ERR_MISSING_DEPENDENCY on use', async () => {
    const d = mk({ connect: bindingConnect('@unraid/libvirt-not-installed') });
    const { err } = await expectRrc(d.ping(primary()), ['RRC_ERR_MISSING_DEPENDENCY']);
    assert.match(err.message, /libvirt binding not built: install Debian package libvirt-dev and run npm install/);
  });

  test('a hung call times out, and the next call reconnects', async () => {
    let opens = 0;
    let hang = true;
    const inner = wrapped([], {});
    const d = mk({
      callTimeoutMs: 300,
      connect: async (uri) => {
        opens++;
        const c = await inner(uri);
        if (!hang) return c;
        hang = false;
        return new Proxy(c, {
          get: (t, p, r) => (p === 'connectGetHostname' ? () => new Promise(() => undefined) : Reflect.get(t, p, r)),
        });
      },
    });
    const { ms } = await expectRrc(d.ping(primary()), ['RRC_ERR_DRIVER_TIMEOUT']);
    assert.ok(ms < 1500, `took ${ms} ms`);
    await d.ping(primary());
    assert.equal(opens, 2);
  });

  test('a broken connection is replaced and an idempotent read retried once', async () => {
    let opens = 0;
    let broken = true;
    const inner = wrapped([], {});
    const d = mk({
      connect: async (uri) => {
        opens++;
        const c = await inner(uri);
        return new Proxy(c, {
          get: (t, p, r) => {
            if (p === 'connectGetHostname' && broken && opens === 1) {
              return () => {
                broken = false;
                return Promise.reject(new Error('internal error: client socket is closed'));
              };
            }
            return Reflect.get(t, p, r);
          },
        });
      },
    });
    await d.nodeInfo(primary()); // opens and caches the first connection
    await d.ping(primary());
    assert.equal(opens, 2);
  });
});
