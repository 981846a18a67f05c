import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkName, JailError, realRoot, resolveInRoot } from '../../../src/drivers/pxe/path-jail.js';
import { encodeRequest, negotiate, OP, parseRequest, parseTransferPacket, TftpDecodeError } from '../../../src/drivers/pxe/tftp-codec.js';
import { tempDir } from './support.js';

function jailReason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof JailError);
    return e.reason;
  }
  return 'accepted';
}

describe('path jail: lexical checks', () => {
  const cases: Array<[string, string]> = [
    ['undionly.kpxe', 'accepted'],
    ['efi//./ipxe.efi', 'accepted'],
    ['', 'empty'],
    ['./', 'empty'],
    ['../etc/passwd', 'traversal'],
    ['a/../../etc/passwd', 'traversal'],
    ['a/..', 'traversal'],
    ['/etc/passwd', 'absolute'],
    ['..\\windows', 'backslash'],
    ['file\0.kpxe', 'control-char'],
    ['file\n', 'control-char'],
    ['x'.repeat(2000), 'too-long'],
  ];
  for (const [name, want] of cases) it(`${JSON.stringify(name.slice(0, 30))} -> ${want}`, () => assert.equal(jailReason(() => checkName(name)), want));
  it('cleans the accepted name', () => assert.equal(checkName('efi//./ipxe.efi'), 'efi/ipxe.efi'));
});

describe('path jail: real paths', () => {
  const dir = tempDir('jail');
  const root = join(dir.path, 'root');
  let rootReal = '';
  before(async () => {
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(root, 'sub', 'a.bin'), 'abc');
    writeFileSync(join(dir.path, 'secret'), 'secret');
    symlinkSync(join(root, 'sub', 'a.bin'), join(root, 'inside-link'));
    symlinkSync(join(dir.path, 'secret'), join(root, 'outside-link'));
    symlinkSync(dir.path, join(root, 'outside-dir'));
    symlinkSync('/etc', join(root, 'etc'));
    rootReal = await realRoot(root);
  });
  after(() => dir.remove());

  const reason = async (name: string) => {
    try {
      return (await resolveInRoot(rootReal, name)).size;
    } catch (e) {
      assert.ok(e instanceof JailError, String(e));
      return e.reason;
    }
  };

  it('serves regular files and symlinks that stay inside', async () => {
    assert.equal(await reason('sub/a.bin'), 3);
    assert.equal(await reason('inside-link'), 3);
  });
  it('refuses symlinks that resolve outside the root', async () => {
    assert.equal(await reason('outside-link'), 'outside-root');
    assert.equal(await reason('outside-dir/secret'), 'outside-root');
    assert.equal(await reason('etc/passwd'), 'outside-root');
  });
  it('refuses directories and reports missing files as not-found', async () => {
    assert.equal(await reason('sub'), 'not-file');
    assert.equal(await reason('missing.bin'), 'not-found');
    assert.equal(await reason('../secret'), 'traversal');
  });
});

describe('TFTP codec', () => {
  it('parses an RRQ with options (names case-insensitive, first wins)', () => {
    const r = parseRequest(encodeRequest(OP.RRQ, 'undionly.kpxe', 'OCTET', { BLKSIZE: '1432', tsize: '0' }));
    assert.equal(r.op, OP.RRQ);
    assert.equal(r.filename, 'undionly.kpxe');
    assert.equal(r.mode, 'octet');
    assert.deepEqual({ ...r.options }, { blksize: '1432', tsize: '0' });
  });

  const bad: Array<[string, Buffer]> = [
    ['too-short', Buffer.from([0, 1, 0])],
    ['too-long', Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(600, 0x41), Buffer.from([0])])],
    ['bad-opcode', Buffer.from('\x00\x09file\x00octet\x00', 'latin1')],
    ['bad-opcode', Buffer.from('\x00\x04\x00\x01', 'latin1')],
    ['unterminated', Buffer.from('\x00\x01file\x00octet', 'latin1')],
    ['unterminated', Buffer.from('\x00\x01file\x00', 'latin1')],
    ['odd-options', Buffer.from('\x00\x01file\x00octet\x00blksize\x00', 'latin1')],
    ['not-text', Buffer.from('\x00\x01fi\x01le\x00octet\x00', 'latin1')],
    ['not-text', Buffer.from('\x00\x01fi\xe9le\x00octet\x00', 'latin1')],
  ];
  for (const [want, buf] of bad) {
    it(`drops a request: ${want}`, () => assert.throws(() => parseRequest(buf), (e: unknown) => e instanceof TftpDecodeError && e.reason === want));
  }

  it('parses transfer packets and rejects short or odd ACKs', () => {
    assert.deepEqual(parseTransferPacket(Buffer.from([0, 4, 0, 7])), { op: OP.ACK, block: 7 });
    assert.equal(parseTransferPacket(Buffer.from('\x00\x05\x00\x08refused\x00', 'latin1')).op, OP.ERROR);
    assert.throws(() => parseTransferPacket(Buffer.from([4])), TftpDecodeError);
    assert.throws(() => parseTransferPacket(Buffer.from([0, 4, 0, 7, 0])), TftpDecodeError);
    assert.throws(() => parseTransferPacket(Buffer.from([0, 99, 0, 0])), TftpDecodeError);
  });

  it('negotiates blksize 8..65464 (capped), tsize and timeout 1..255; ignores the rest', () => {
    assert.deepEqual(negotiate({ blksize: '1432', tsize: '0', timeout: '3' }, 1234, 65464), {
      blksize: 1432, timeoutMs: 3000, ack: { blksize: '1432', tsize: '1234', timeout: '3' },
    });
    assert.equal(negotiate({ blksize: '65464' }, 1, 1468).blksize, 1468);
    for (const v of ['7', '65465', '-1', '1e3', 'abc', '']) assert.deepEqual(negotiate({ blksize: v }, 1, 65464).ack, {}, v);
    for (const v of ['0', '256', 'x']) assert.deepEqual(negotiate({ timeout: v }, 1, 65464).ack, {}, v);
    assert.deepEqual(negotiate({ windowsize: '8', multicast: '' }, 1, 65464).ack, {});
    // A long client timeout would pin a transfer slot: declined above the server's cap.
    assert.deepEqual(negotiate({ timeout: '10' }, 1, 65464, 5).ack, {});
    assert.deepEqual(negotiate({ timeout: '5' }, 1, 65464, 5).ack, { timeout: '5' });
  });
});
