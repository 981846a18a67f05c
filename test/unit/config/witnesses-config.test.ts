/** The controller's self-check addresses (`witnesses.selfCheck`): host:port, checked at load, passed through. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveConfig } from '../../../src/config/index.js';
import { isRrcError } from '../../../src/errors.js';

test('witnesses.selfCheck: host:port addresses are kept; none by default', () => {
  assert.deepEqual(resolveConfig({}, 'lab.yaml', { env: {} }).witnesses.selfCheck, []);
  const cfg = resolveConfig({ witnesses: { selfCheck: ['198.18.0.254:53', '[fd00::1]:443'] } }, 'lab.yaml', { env: {} });
  assert.deepEqual(cfg.witnesses.selfCheck, ['198.18.0.254:53', '[fd00::1]:443']);
});

test('witnesses.selfCheck: an address without a port is refused with its key path', () => {
  try {
    resolveConfig({ witnesses: { selfCheck: ['198.18.0.254'] } }, 'lab.yaml', { env: {} });
    assert.fail('accepted');
  } catch (e) {
    assert.ok(isRrcError(e, 'RRC_ERR_CONFIG_INVALID'), String(e));
    assert.match(e.message, /witnesses\.selfCheck(\.|\[)0/);
    assert.match(e.message, /expected host:port/);
  }
});
