/**
 * Host on demand end to end on the wall clock: the real controller over the real Env (ipmi_sim,
 * sshd, libvirt test:///<file>.xml per host: test/lab/e2e-rack.ts), the request service with the
 * real image tools (qemu-img overlays over a base image this test builds, genisoimage seeds) in a
 * temporary folder. Create, wait, extend, release; expiry with its warnings in order and the
 * erasure verified (overlay and seed gone, the base image byte for byte unchanged); capacity
 * refusal, the N+1 reserve, quota refusal, queueing; and a request service that dies in the middle
 * of a provisioning and in the middle of an expiry.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { realClock } from '../../../src/env/real/clock.js';
import { isRrcError } from '../../../src/errors.js';
import { OnDemandConfigSchema } from '../../../src/on-demand/config-schema.js';
import { realImageTools, type ImageTools } from '../../../src/on-demand/image-tools.js';
import type { RequestEvent } from '../../../src/on-demand/request-events.js';
import { RequestCreateSchema, type RequestCreateInput } from '../../../src/on-demand/request-input.js';
import { RequestService } from '../../../src/on-demand/request-service.js';
import type { RequestRecord } from '../../../src/store/types.js';
import { settled, startRack, until, type Rack } from '../../lab/e2e-rack.js';
import { makeTempDir, requireBinary } from '../../lab/peers/common.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOnDemandTestKeyOnlyForThisTestxxxxxxxxxxxx alice@test';
const alice = { name: 'alice', admin: false };

/** The real tools, with one call made to hang forever once (the controller dies during it). */
function hangingOnce(tools: ImageTools, name: 'buildNoCloudSeed' | 'eraseOverlay', started: () => void): ImageTools {
  let armed = true;
  return new Proxy(tools, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== name || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (!armed) return (value as (...a: unknown[]) => unknown).apply(target, args);
        armed = false;
        started();
        return new Promise(() => undefined);
      };
    },
  });
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('host on demand on libvirt test:/// with real qemu-img', () => {
  let rack: Rack;
  const tmp = makeTempDir('on-demand');
  let base: string;
  let baseHash: string;
  const services: RequestService[] = [];

  const service = (over: Record<string, unknown> = {}, images: ImageTools = realImageTools): RequestService => {
    const s = new RequestService({
      store: rack.controller.store,
      controller: rack.controller,
      hypervisor: rack.env.hypervisor,
      clock: realClock,
      log: rack.env.log,
      catalogue: {
        os: [{ name: 'debian-12', description: 'test base', kind: 'image', baseImage: base, format: 'qcow2' }],
        middleware: [{ name: 'cvmfs', description: 'CernVM-FS', packages: ['cvmfs'], firstBoot: ['cvmfs_config setup'] }],
      },
      config: OnDemandConfigSchema.parse({
        storageDir: join(tmp.dir, 'lent'),
        warnings: ['10s', '5s'],
        sweepInterval: '1s',
        network: null,
        maxDuration: '1h',
        owners: { alice: { sshKeys: [KEY] } },
        ...over,
      }),
      images,
      isLeader: () => true,
    });
    services.push(s);
    s.start();
    return s;
  };
  const ask = (over: Partial<RequestCreateInput> = {}) => RequestCreateSchema.parse({ cores: 1, ram: '1G', disk: '1G', os: 'debian-12', middleware: 'cvmfs', for: '10m', ...over });
  const get = async (id: string): Promise<RequestRecord> => {
    const r = await rack.store.getRequest(id);
    assert.ok(r);
    return r;
  };
  const reach = async (id: string, state: RequestRecord['state'], ms = 30_000): Promise<RequestRecord> => {
    const ok = await until(async () => (await get(id)).state === state, ms, 100);
    const r = await get(id);
    assert.ok(ok, `${id} did not become ${state} (is ${r.state}: ${r.error ?? ''}; steps ${r.steps.join(',')})\n${(await rack.store.listRequestEvents(id)).map((e) => e.message).join('\n')}`);
    return r;
  };
  /** Every copy of a domain on the rack's hypervisors: `host:state`. */
  const copies = async (name: string): Promise<string[]> => {
    const out: string[] = [];
    for (const h of rack.hosts.values()) for (const d of await rack.env.hypervisor.listDomains(h.spec)) if (d.name === name) out.push(`${h.spec.name}:${d.state}`);
    return out;
  };
  const closeAll = async () => {
    for (const s of services.splice(0)) await s.stop();
  };

  before(async () => {
    requireBinary('qemu-img', 'qemu-utils');
    requireBinary('genisoimage', 'genisoimage');
    base = join(tmp.dir, 'debian-12-base.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', base, '64M']);
    baseHash = sha256(base);
    rack = await startRack({
      hosts: [
        { name: 'hv1', role: 'primary', bmc: 'ipmi', ssh: 'sshd', cpus: 8, memoryMb: 16_384, domains: [{ name: 'web1', uuid: '00000000-0000-4000-8000-0000000d0001', vcpus: 2, memoryMb: 2048 }] },
        { name: 'hv2', role: 'primary', bmc: 'ipmi', ssh: 'sshd', cpus: 8, memoryMb: 16_384 },
        { name: 'spare1', role: 'spare', bmc: 'ipmi', ssh: 'sshd', cpus: 2, memoryMb: 4096 },
      ],
      probeIntervalMs: 500,
      probeTimeoutMs: 3_000,
      timeouts: { ipmiMs: 2_000, ipmiRetries: 1, libvirtCallMs: 2_000, probe: { bmcMs: 2_500, tcpMs: 1_500, sshMs: 2_500, libvirtMs: 2_500 } },
      fence: { confirmTimeoutMs: 3_000, pollMs: 250, maxOffAttempts: 3 },
    });
    assert.ok(await settled(rack), `rack did not settle:\n${await rack.dump()}`);
  });
  after(async () => {
    await closeAll();
    await rack?.cleanup();
    tmp.remove();
  });

  test('create, wait until it answers, extend, release: domain gone, overlay and seed erased, base unchanged', async () => {
    const s = service();
    const r = await s.create(ask({ cores: 2, ram: '2G' }), alice);
    assert.equal(r.host, 'hv2', 'the least loaded primary (hv1 carries web1)');
    const ready = await reach(r.id, 'ready');
    assert.deepEqual(await copies(r.id), ['hv2:running']);
    assert.ok(existsSync(ready.overlayPath as string) && existsSync(ready.seedPath as string));
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', ready.overlayPath as string], { encoding: 'utf8' })) as { 'backing-filename'?: string; 'virtual-size': number };
    assert.equal(info['backing-filename'], base);
    assert.equal(info['virtual-size'], 1024 ** 3);
    const seed = readFileSync(ready.seedPath as string, 'latin1');
    assert.ok(seed.includes(KEY) && seed.includes(`hostname: ${r.id}`), 'the seed carries the hostname and the owner key');
    assert.equal((await rack.store.getVm(r.id))?.currentHost, 'hv2');

    const ext = await s.extend(r.id, 30 * 60_000, alice);
    assert.equal(ext.expiresAt, (ready.expiresAt as number) + 30 * 60_000);
    await s.release(r.id, alice);
    const done = await reach(r.id, 'released');
    assert.equal(done.erasedHow, 'overwrite');
    assert.deepEqual(await copies(r.id), []);
    assert.equal(await rack.store.getVm(r.id), null);
    assert.equal(existsSync(ready.overlayPath as string), false);
    assert.equal(existsSync(ready.seedPath as string), false);
    assert.equal(sha256(base), baseHash, 'the base image is unchanged');
    await closeAll();
  });

  test('expiry: warnings 10 s then 5 s before the end, then destroyed, undefined, erased at the end', async () => {
    const s = service();
    const events: RequestEvent[] = [];
    s.onEvent((e) => events.push(e));
    const r = await s.create(ask({ for: '14s' }), alice);
    const ready = await reach(r.id, 'ready');
    const erased = await reach(r.id, 'erased', 40_000);
    const warnings = events.filter((e): e is Extract<RequestEvent, { type: 'request-warning' }> => e.type === 'request-warning');
    assert.deepEqual(warnings.map((w) => w.offsetMs), [10_000, 5_000]);
    const expiresAt = ready.expiresAt as number;
    for (const w of warnings) assert.ok(w.at >= expiresAt - w.offsetMs && w.at < expiresAt, `warning ${w.offsetMs} at ${w.at - expiresAt} ms from the end`);
    assert.ok((erased.endedAt as number) >= expiresAt);
    assert.equal(erased.endReason, 'expired');
    assert.deepEqual(await copies(r.id), []);
    assert.equal(existsSync(ready.overlayPath as string), false);
    assert.equal(existsSync(ready.seedPath as string), false);
    assert.equal(sha256(base), baseHash);
    await closeAll();
  });

  test('refusals: no room (the resource and the shortfall), the N+1 reserve, a quota; --queue waits and starts when room appears', async () => {
    const s = service();
    // hv1: 8 cores, web1 uses 2. hv2: 8 cores. spare1: 2 cores.
    await assert.rejects(s.create(ask({ cores: 9 }), alice), (e) => isRrcError(e, 'RRC_ERR_NO_CAPACITY') && /9 cores, 1G RAM, 1G disk asked; the closest, hv\d, is 1 core short/.test(e.message));
    await assert.rejects(s.create(ask({ cores: 17 }), alice), (e) => isRrcError(e, 'RRC_ERR_QUOTA') && /quota cores of alice is 16/.test(e.message));
    const a = await s.create(ask({ cores: 6 }), alice);
    assert.equal(a.host, 'hv2');
    await reach(a.id, 'ready');
    // 6 more on hv1 would fit its cores, but losing hv1 (8 in use) would leave 8 cores for hv2 (2 free) and the spare (2).
    await assert.rejects(s.create(ask({ cores: 6 }), alice), (e) => isRrcError(e, 'RRC_ERR_NO_CAPACITY') && /N\+1 reserve would be used: losing hv\d \(\d+ cores in use\) would leave \d+ cores? without a place/.test(e.message));
    const q = await s.create(ask({ cores: 6, queue: true }), alice);
    assert.equal(q.state, 'queued');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await get(q.id)).state, 'queued');
    await s.release(a.id, alice);
    const started = await reach(q.id, 'ready');
    assert.equal(started.host, 'hv2');
    await s.release(q.id, alice);
    await reach(q.id, 'released');
    await closeAll();
  });

  test('a request service that dies in the middle of a provisioning, then of an expiry: the next one finishes each, one domain, no step done twice', async () => {
    let seedStarted = false;
    const first = service({}, hangingOnce(realImageTools, 'buildNoCloudSeed', () => (seedStarted = true)));
    const r = await first.create(ask({ for: '12s' }), alice);
    assert.ok(await until(() => seedStarted, 20_000, 50));
    assert.deepEqual((await get(r.id)).steps, ['overlay']);
    void first.stop(); // dies: the seed call never returns
    const overlayMtime = (await import('node:fs')).statSync((await get(r.id)).overlayPath as string).mtimeMs;

    let eraseStarted = false;
    const second = service({}, hangingOnce(realImageTools, 'eraseOverlay', () => (eraseStarted = true)));
    const ready = await reach(r.id, 'ready');
    assert.deepEqual(ready.steps, ['overlay', 'seed', 'domain', 'inventory']);
    assert.equal((await import('node:fs')).statSync(ready.overlayPath as string).mtimeMs, overlayMtime, 'the overlay was not made again');
    assert.deepEqual(await copies(r.id), [`${ready.host}:running`]);
    assert.ok(await until(() => eraseStarted, 30_000, 50), 'the expiry reached the erasure');
    const mid = await get(r.id);
    assert.equal(mid.state, 'expiring');
    assert.deepEqual(await copies(r.id), []);
    void second.stop(); // dies during the erasure

    const third = service();
    assert.ok(third);
    const erased = await reach(r.id, 'erased');
    assert.equal(existsSync(ready.overlayPath as string), false);
    assert.equal(existsSync(ready.seedPath as string), false);
    const timeline = (await rack.store.listRequestEvents(r.id)).map((e) => e.message);
    assert.equal(timeline.filter((m) => /^state: .* -> erased/.test(m) || /-> erased/.test(m)).length, 1, timeline.join('\n'));
    assert.equal(erased.steps.filter((x) => x === 'end:domain').length, 1);
    assert.equal(sha256(base), baseHash);
    services.splice(0, 2); // the two dead ones never settle
    await closeAll();
  });
});
