/**
 * createOverlay and eraseOverlay against the real qemu-img (qemu-utils) in a temp folder: the
 * overlay takes the writes and the base image never changes; a second create is a no-op; an
 * overlay that does not match is refused; erasure overwrites (seen through a hard link to the same
 * file) or discards, finishes an erasure a crash interrupted, and refuses to erase a base image.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isRrcError, type ErrorCode } from '../../../src/errors.js';
import { createOverlay, eraseOverlay } from '../../../src/on-demand/images/index.js';
import { makeTempDir, requireBinary } from '../../lab/peers/common.js';
import { readImageBytes } from '../../lab/qemu/image-bytes.js';

const MiB = 1024 * 1024;
const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const rejectsWith = (p: Promise<unknown>, code: ErrorCode, text?: RegExp): Promise<void> =>
  assert.rejects(p, (e: unknown) => isRrcError(e, code) && (!text || text.test(e.message)));

describe('disk overlays with qemu-img', () => {
  const tmp = makeTempDir('on-demand-overlay');
  const dir = tmp.dir;
  let qemuImg: string;
  let qemuIo: string;
  let base: string;
  let baseRaw: string;
  let baseHash: string;
  let baseRawHash: string;
  before(() => {
    qemuImg = requireBinary('qemu-img', 'qemu-utils');
    qemuIo = requireBinary('qemu-io', 'qemu-utils');
    baseRaw = join(dir, 'base.raw');
    const bytes = Buffer.alloc(8 * MiB);
    bytes.write('BASE', 0, 'ascii');
    writeFileSync(baseRaw, bytes);
    base = join(dir, 'base.qcow2');
    execFileSync(qemuImg, ['convert', '-q', '-f', 'raw', '-O', 'qcow2', baseRaw, base]);
    baseHash = sha256(base);
    baseRawHash = sha256(baseRaw);
  });
  after(() => {
    assert.equal(sha256(base), baseHash, 'the qcow2 base never changed');
    assert.equal(sha256(baseRaw), baseRawHash, 'the raw base never changed');
    tmp.remove();
  });
  const info = (path: string): Record<string, unknown> =>
    JSON.parse(execFileSync(qemuImg, ['info', '--output=json', '-U', path], { encoding: 'utf8' })) as Record<string, unknown>;
  const writeInto = (image: string, pattern: number, offset: number, length: number): void =>
    void execFileSync(qemuIo, ['-f', 'qcow2', '-c', `write -P ${pattern} ${offset} ${length}`, image], { stdio: 'ignore' });

  test('create: a qcow2 over the base at the requested size; writes land in it, not in the base', async () => {
    const overlay = join(dir, 'vms', 'req-1.qcow2');
    await createOverlay({ baseImage: base, format: 'qcow2', overlayPath: overlay, sizeGb: 2 });
    const i = info(overlay);
    assert.equal(i.format, 'qcow2');
    assert.equal(i['backing-filename'], base);
    assert.equal(i['backing-filename-format'], 'qcow2');
    assert.equal(i['virtual-size'], 2 * 1024 * MiB);
    assert.equal(existsSync(`${overlay}.partial`), false);

    writeInto(overlay, 0xab, 0, 64 * 1024);
    assert.deepEqual(readImageBytes(overlay, 'qcow2', 0, 4), Buffer.alloc(4, 0xab));
    assert.equal(readImageBytes(base, 'qcow2', 0, 4).toString('ascii'), 'BASE');
    assert.equal(sha256(base), baseHash);

    // Idempotent: the same request again keeps the overlay and what was written into it.
    await createOverlay({ baseImage: base, format: 'qcow2', overlayPath: overlay, sizeGb: 2 });
    assert.deepEqual(readImageBytes(overlay, 'qcow2', 0, 4), Buffer.alloc(4, 0xab));
  });

  test('a raw base works the same way (the catalogue format is passed as -F)', async () => {
    const overlay = join(dir, 'vms', 'req-raw.qcow2');
    await createOverlay({ baseImage: baseRaw, format: 'raw', overlayPath: overlay, sizeGb: 1 });
    assert.equal(info(overlay)['backing-filename-format'], 'raw');
    assert.equal(readImageBytes(overlay, 'qcow2', 0, 4).toString('ascii'), 'BASE');
  });

  test('an existing overlay that does not match the request is refused, never replaced', async () => {
    const overlay = join(dir, 'vms', 'req-2.qcow2');
    await createOverlay({ baseImage: base, format: 'qcow2', overlayPath: overlay, sizeGb: 1 });
    const before = sha256(overlay);
    await rejectsWith(createOverlay({ baseImage: base, format: 'qcow2', overlayPath: overlay, sizeGb: 3 }), 'RRC_ERR_CONFLICT', /size/);
    await rejectsWith(createOverlay({ baseImage: baseRaw, format: 'raw', overlayPath: overlay, sizeGb: 1 }), 'RRC_ERR_CONFLICT', /backing file/);
    const plain = join(dir, 'vms', 'not-an-overlay.qcow2');
    execFileSync(qemuImg, ['create', '-q', '-f', 'qcow2', plain, '1G']);
    await rejectsWith(createOverlay({ baseImage: base, format: 'qcow2', overlayPath: plain, sizeGb: 1 }), 'RRC_ERR_CONFLICT', /no backing file/);
    assert.equal(sha256(overlay), before);
  });

  test('bad requests: missing base, wrong declared format, too small, relative paths', async () => {
    const overlay = join(dir, 'vms', 'req-bad.qcow2');
    await rejectsWith(createOverlay({ baseImage: join(dir, 'absent.qcow2'), format: 'qcow2', overlayPath: overlay, sizeGb: 1 }), 'RRC_ERR_NOT_FOUND');
    await rejectsWith(createOverlay({ baseImage: base, format: 'raw', overlayPath: overlay, sizeGb: 1 }), 'RRC_ERR_CONFLICT', /is qcow2/);
    const big = join(dir, 'big.qcow2');
    execFileSync(qemuImg, ['create', '-q', '-f', 'qcow2', big, '3G']);
    await rejectsWith(createOverlay({ baseImage: big, format: 'qcow2', overlayPath: overlay, sizeGb: 2 }), 'RRC_ERR_VALIDATION', /smaller/);
    await rejectsWith(createOverlay({ baseImage: 'base.qcow2', format: 'qcow2', overlayPath: overlay, sizeGb: 1 }), 'RRC_ERR_VALIDATION');
    await rejectsWith(createOverlay({ baseImage: base, format: 'qcow2', overlayPath: base, sizeGb: 1 }), 'RRC_ERR_VALIDATION');
    await rejectsWith(createOverlay({ baseImage: base, format: 'qcow2', overlayPath: overlay, sizeGb: 0 }), 'RRC_ERR_VALIDATION');
    assert.equal(existsSync(overlay), false);
  });

  test('an aborted create stops with RRC_ERR_ABORTED and leaves nothing', async () => {
    const overlay = join(dir, 'vms', 'req-abort.qcow2');
    const ac = new AbortController();
    ac.abort(new Error('request released'));
    await rejectsWith(createOverlay({ baseImage: base, format: 'qcow2', overlayPath: overlay, sizeGb: 1, signal: ac.signal }), 'RRC_ERR_ABORTED');
    assert.equal(existsSync(overlay), false);
  });

  test('erase overwrite: every byte zeroed (seen through a hard link), then deleted', async () => {
    const overlay = join(dir, 'vms', 'req-3.qcow2');
    await createOverlay({ baseImage: base, format: 'qcow2', overlayPath: overlay, sizeGb: 1 });
    writeInto(overlay, 0xcd, 0, 3 * MiB + 4096);
    const peek = join(dir, 'peek-3');
    linkSync(overlay, peek);
    const size = statSync(overlay).size;
    const report = await eraseOverlay({ overlayPath: overlay, mode: 'overwrite' });
    assert.deepEqual(report, { overlayPath: overlay, method: 'overwrite', bytesOverwritten: size });
    assert.equal(existsSync(overlay), false);
    assert.equal(existsSync(`${overlay}.erasing`), false);
    const left = readFileSync(peek);
    assert.equal(left.length, size);
    assert.equal(left.some((b) => b !== 0), false, 'the erased file holds only zeros');

    assert.deepEqual(await eraseOverlay({ overlayPath: overlay, mode: 'overwrite' }), { overlayPath: overlay, method: 'absent', bytesOverwritten: 0 });
  });

  test('erase discard: deleted without writing', async () => {
    const overlay = join(dir, 'vms', 'req-4.qcow2');
    await createOverlay({ baseImage: base, format: 'qcow2', overlayPath: overlay, sizeGb: 1 });
    writeInto(overlay, 0xef, 0, 4096);
    const peek = join(dir, 'peek-4');
    linkSync(overlay, peek);
    assert.deepEqual(await eraseOverlay({ overlayPath: overlay, mode: 'discard' }), { overlayPath: overlay, method: 'discard', bytesOverwritten: 0 });
    assert.equal(existsSync(overlay), false);
    assert.equal(readFileSync(peek).some((b) => b !== 0), true, 'discard does not zero');
  });

  test('an erasure interrupted by a crash is finished by the next call', async () => {
    const overlay = join(dir, 'vms', 'req-5.qcow2');
    await createOverlay({ baseImage: base, format: 'qcow2', overlayPath: overlay, sizeGb: 1 });
    // The state a crash leaves: renamed, half zeroed (no longer a valid qcow2 header).
    renameSync(overlay, `${overlay}.erasing`);
    writeFileSync(`${overlay}.erasing`, Buffer.alloc(512), { flag: 'r+' });
    const report = await eraseOverlay({ overlayPath: overlay, mode: 'overwrite' });
    assert.equal(report.method, 'overwrite');
    assert.equal(existsSync(`${overlay}.erasing`), false);
  });

  test('never erases a base image, a plain file or through a symlink', async () => {
    await rejectsWith(eraseOverlay({ overlayPath: base, mode: 'overwrite' }), 'RRC_ERR_CONFLICT', /not an overlay/);
    await rejectsWith(eraseOverlay({ overlayPath: baseRaw, mode: 'discard' }), 'RRC_ERR_CONFLICT', /not an overlay/);
    const link = join(dir, 'vms', 'link.qcow2');
    symlinkSync(base, link);
    await rejectsWith(eraseOverlay({ overlayPath: link, mode: 'overwrite' }), 'RRC_ERR_CONFLICT', /symlink/);
    assert.equal(existsSync(base), true);
    assert.equal(sha256(base), baseHash);
  });
});
