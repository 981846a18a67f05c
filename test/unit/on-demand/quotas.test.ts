import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quotaRefusal, usageOf } from '../../../src/on-demand/quotas.js';

const quota = { cores: 16, ram: 64, disk: 1024, requests: 2 };

test('within the quota: no refusal', () => {
  assert.equal(quotaRefusal('alice', quota, usageOf([{ cores: 8, ramGb: 32, diskGb: 200 }]), { cores: 8, ramGb: 32, diskGb: 200 }), null);
});

test('a refusal names the quota, its limit, the usage and the ask', () => {
  const usage = usageOf([{ cores: 12, ramGb: 16, diskGb: 100 }]);
  assert.equal(quotaRefusal('alice', quota, usage, { cores: 8, ramGb: 8, diskGb: 10 }), 'quota cores of alice is 16: 12 in use by 1 open request(s), 8 asked');
  assert.match(quotaRefusal('alice', quota, usage, { cores: 1, ramGb: 60, diskGb: 10 }) ?? '', /^quota ram of alice is 64G: 16G in use/);
  assert.match(quotaRefusal('alice', quota, usage, { cores: 1, ramGb: 1, diskGb: 2000 }) ?? '', /^quota disk of alice is 1024G/);
});

test('concurrent requests count too', () => {
  const usage = usageOf([{ cores: 1, ramGb: 1, diskGb: 1 }, { cores: 1, ramGb: 1, diskGb: 1 }]);
  assert.match(quotaRefusal('bob', quota, usage, { cores: 1, ramGb: 1, diskGb: 1 }) ?? '', /^quota requests of bob is 2: 2 in use/);
});
