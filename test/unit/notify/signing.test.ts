/** Webhook signatures: a receiver's check accepts what the notifier signs and nothing else. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { signBody, verifySignature } from '../../../src/notify/signing.js';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const body = JSON.stringify({ id: 'n1', type: 'incident-opened', time: new Date(NOW).toISOString(), sequence: 1, data: { targetId: 'vm:web1' } });

describe('webhook signing', () => {
  test('the signature is the HMAC-SHA256 of "<timestamp>.<body>" with the secret, in hex', () => {
    const { timestamp, signature } = signBody(body, 's3cret', NOW);
    assert.equal(timestamp, String(NOW / 1000));
    const expected = createHmac('sha256', 's3cret').update(`${timestamp}.${body}`).digest('hex');
    assert.equal(signature, `sha256=${expected}`);
  });

  test('a receiver with the same secret accepts it', () => {
    const h = signBody(body, 's3cret', NOW);
    assert.deepEqual(verifySignature({ body, secret: 's3cret', ...h, nowMs: NOW + 2000 }), { ok: true });
  });

  test('another secret, a changed body or a changed timestamp is refused', () => {
    const h = signBody(body, 's3cret', NOW);
    assert.equal(verifySignature({ body, secret: 'other', ...h, nowMs: NOW }).ok, false);
    assert.equal(verifySignature({ body: body.replace('web1', 'web2'), secret: 's3cret', ...h, nowMs: NOW }).ok, false);
    // The timestamp is inside the MAC: moving it forward to pass the age check breaks the signature.
    const moved = { ...h, timestamp: String(Number(h.timestamp) + 600) };
    const r = verifySignature({ body, secret: 's3cret', ...moved, nowMs: NOW + 600_000 });
    assert.deepEqual(r, { ok: false, reason: 'signature does not match' });
  });

  test('a replay older than the tolerance is refused even with a valid signature', () => {
    const h = signBody(body, 's3cret', NOW);
    const r = verifySignature({ body, secret: 's3cret', ...h, nowMs: NOW + 301_000 });
    assert.equal(r.ok, false);
    assert.match((r as { reason: string }).reason, /tolerance/);
    assert.equal(verifySignature({ body, secret: 's3cret', ...h, nowMs: NOW + 301_000, toleranceSeconds: 600 }).ok, true);
  });

  test('missing or malformed headers are refused with the reason', () => {
    assert.match((verifySignature({ body, secret: 's', timestamp: undefined, signature: 'sha256=00', nowMs: NOW }) as { reason: string }).reason, /timestamp/);
    const { timestamp } = signBody(body, 's', NOW);
    assert.match((verifySignature({ body, secret: 's', timestamp, signature: 'md5=abc', nowMs: NOW }) as { reason: string }).reason, /signature/);
    assert.match((verifySignature({ body, secret: 's', timestamp, signature: undefined, nowMs: NOW }) as { reason: string }).reason, /signature/);
  });
});
