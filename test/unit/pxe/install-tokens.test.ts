/**
 * The install-complete token bound to the host being reinstalled (tokens.ts), on a virtual
 * clock: nobody gets it before the host's netboot lease, only the leased address gets the
 * kickstart, and the callback is refused from another address, for another MAC, after netboot
 * ended, once used, or once expired. A refusal never uses the token up.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InstallTokens, type TokenRequest } from '../../../src/drivers/pxe/tokens.js';
import { ManualClock } from './support.js';

const MAC = '52:54:00:00:00:01';
const OTHER_MAC = '52:54:00:00:00:02';
const IP = '198.18.0.11';

describe('InstallTokens', () => {
  const netbootOff = new Set<string>();
  const req = (from: string, mac?: string): TokenRequest => ({ from, mac, isNetbootEnabled: (m) => !netbootOff.has(m) });

  it('nobody gets the token before the lease; then only the leased address', () => {
    const t = new InstallTokens(new ManualClock(), 60_000);
    assert.deepEqual(t.forKickstart('node-1', req(IP)), { refused: 'no-reinstall' });
    const tok = t.issue('node-1');
    assert.match(tok, /^[A-Za-z0-9_-]{32}$/);
    assert.deepEqual(t.forKickstart('node-1', req(IP)), { refused: 'no-lease' });
    assert.equal(t.consume('node-1', tok, req(IP, MAC)), 'no-lease');
    assert.equal(t.bindLease('node-1', { mac: MAC, ip: IP }), true);
    assert.deepEqual(t.forKickstart('node-1', req('198.18.0.66')), { refused: 'wrong-address' });
    assert.deepEqual(t.forKickstart('node-1', req(`::ffff:${IP}`)), { token: tok, lease: { mac: MAC, ip: IP } });
    assert.equal(t.bindLease('node-2', { mac: OTHER_MAC, ip: '198.18.0.12' }), false, 'no reinstall of node-2: nothing to bind');
  });

  it('refuses the callback from another address, for another MAC, after netboot ended; none of it uses the token', () => {
    const t = new InstallTokens(new ManualClock(), 60_000);
    const tok = t.issue('node-1');
    t.bindLease('node-1', { mac: MAC, ip: IP });
    assert.equal(t.consume('node-1', tok, req('198.18.0.66', MAC)), 'wrong-address');
    assert.equal(t.consume('node-1', tok, req(IP, OTHER_MAC)), 'wrong-mac');
    assert.equal(t.consume('node-1', tok, req(IP)), 'wrong-mac', 'a callback must name its MAC');
    netbootOff.add(MAC);
    assert.equal(t.consume('node-1', tok, req(IP, MAC)), 'netboot-off');
    assert.deepEqual(t.forKickstart('node-1', req(IP)), { refused: 'netboot-off' });
    netbootOff.delete(MAC);
    assert.equal(t.consume('node-1', 'x'.repeat(32), req(IP, MAC)), 'invalid');
    assert.equal(t.consume('node-2', tok, req(IP, MAC)), 'invalid', 'a token is for its own host only');
    assert.equal(t.consume('node-1', tok, req(IP, MAC)), 'ok');
    assert.equal(t.consume('node-1', tok, req(IP, MAC)), 'used');
    assert.deepEqual(t.forKickstart('node-1', req(IP)), { refused: 'no-reinstall' });
  });

  it('a later lease rebinds (iPXE, then the installer); a new token replaces the old; expiry on virtual time', () => {
    const clock = new ManualClock();
    const t = new InstallTokens(clock, 60_000);
    const old = t.issue('node-1');
    const fresh = t.issue('node-1');
    t.bindLease('node-1', { mac: MAC, ip: IP });
    t.bindLease('node-1', { mac: OTHER_MAC, ip: IP });
    assert.deepEqual(t.leaseOf('node-1'), { mac: OTHER_MAC, ip: IP });
    assert.equal(t.consume('node-1', old, req(IP, OTHER_MAC)), 'invalid');
    clock.advance(59_999);
    assert.ok('token' in t.forKickstart('node-1', req(IP)));
    clock.advance(1);
    assert.deepEqual(t.forKickstart('node-1', req(IP)), { refused: 'expired' });
    assert.equal(t.consume('node-1', fresh, req(IP, OTHER_MAC)), 'expired');
    assert.equal(t.bindLease('node-1', { mac: MAC, ip: IP }), false, 'an expired token is not bound');
  });
});
