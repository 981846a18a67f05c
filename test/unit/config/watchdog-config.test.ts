/** A self-fence time or watchdog lease not below the fence-migrate rung timeout is refused, naming its key path. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveConfig } from '../../../src/config/index.js';
import { isRrcError } from '../../../src/errors.js';
import { configHost } from './config-fixtures.js';

const host = (name: string, mac: string, watchdog?: object) => configHost(name, mac, watchdog ? { watchdog } : {});

function refusal(raw: unknown): string {
  try {
    resolveConfig(raw, 'lab.yaml', { env: {} });
  } catch (e) {
    assert.ok(isRrcError(e, 'RRC_ERR_CONFIG_INVALID'), String(e));
    return e.message;
  }
  assert.fail('the config was accepted');
}

test('a watchdog lease not below the fence-migrate timeout is refused at inventory.hosts[i].watchdog.leaseTimeoutSeconds', () => {
  const message = refusal({
    policy: { selfFenceAfterSeconds: 60, rungs: { 'fence-migrate': { timeoutSeconds: 300 } } },
    inventory: { hosts: [host('hv1', '52:54:00:00:00:01', { kind: 'sanlock', leaseTimeoutSeconds: 80 }), host('hv2', '52:54:00:00:00:02', { kind: 'wdmd', leaseTimeoutSeconds: 300 })] },
  });
  assert.match(message, /inventory\.hosts(\.1|\[1\])\.watchdog\.leaseTimeoutSeconds/);
  assert.match(message, /the watchdog lease timeout of hv2 \(300\) must be below policy\.rungs\.fence-migrate\.timeoutSeconds \(300\)/);
  assert.doesNotMatch(message, /hv1/, 'the host within the limit is not named');
});

test('a self-fence time not below the fence-migrate timeout is refused at policy.selfFenceAfterSeconds', () => {
  const message = refusal({ policy: { selfFenceAfterSeconds: 400 }, inventory: { hosts: [host('hv1', '52:54:00:00:00:01')] } });
  assert.match(message, /policy\.selfFenceAfterSeconds/);
  assert.match(message, /\(400\) must be below policy\.rungs\.fence-migrate\.timeoutSeconds \(300\)/);
});

test('a watchdog kind outside the contract is refused at its key path', () => {
  const message = refusal({ inventory: { hosts: [host('hv1', '52:54:00:00:00:01', { kind: 'cron', leaseTimeoutSeconds: 80 })] } });
  assert.match(message, /inventory\.hosts(\.0|\[0\])\.watchdog\.kind/);
});

test('a declared watchdog within the limits is accepted and kept on the host', () => {
  const cfg = resolveConfig(
    { policy: { selfFenceAfterSeconds: 60 }, inventory: { hosts: [host('hv1', '52:54:00:00:00:01', { kind: 'sanlock', leaseTimeoutSeconds: 80 })] } },
    'lab.yaml',
    { env: {} },
  );
  assert.deepEqual(cfg.inventory.hosts[0]?.watchdog, { kind: 'sanlock', leaseTimeoutSeconds: 80 });
});
