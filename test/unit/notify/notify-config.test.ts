/** The config's notify section: defaults applied, secrets by reference only, every problem with its key path. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig } from '../../../src/config/index.js';
import { DEFAULT_RETRY } from '../../../src/notify/types.js';

const base = 'inventory: { hosts: [], vms: [] }\nsecrets: { hook: { env: RRC_HOOK_SECRET } }\n';
const refused = (yaml: string, path: RegExp) =>
  assert.throws(() => parseConfig(base + yaml, 'n.yaml'), (e: Error & { code?: string }) => e.code === 'RRC_ERR_CONFIG_INVALID' && path.test(e.message), yaml);

describe('notify config', () => {
  test('no section: no webhooks; a receiver gets the defaults', () => {
    assert.deepEqual(parseConfig(base, 'n.yaml').notify, { webhooks: [] });
    const cfg = parseConfig(`${base}notify: { webhooks: [ { name: ops, url: "https://hooks.example.org/x", secretRef: hook } ] }\n`, 'n.yaml');
    assert.deepEqual(cfg.notify.webhooks, [{ name: 'ops', url: 'https://hooks.example.org/x', secretRef: 'hook', timeoutSeconds: 5, retry: DEFAULT_RETRY, queueSize: 1000 }]);
  });

  test('refused with the key path: undeclared secret, duplicate name, bad URL, unknown event, bad retry', () => {
    refused('notify: { webhooks: [ { name: a, url: "http://127.0.0.1:9/", secretRef: nope } ] }\n', /notify\.webhooks\[0\]\.secretRef: secret "nope" is not declared/);
    refused('notify: { webhooks: [ { name: a, url: "http://127.0.0.1:9/", secretRef: hook }, { name: a, url: "http://127.0.0.1:9/", secretRef: hook } ] }\n', /notify\.webhooks\[1\]\.name: duplicate/);
    refused('notify: { webhooks: [ { name: a, url: "ftp://x/", secretRef: hook } ] }\n', /notify\.webhooks\[0\]\.url/);
    refused('notify: { webhooks: [ { name: a, url: "http://x/", secretRef: hook, events: [incident-exploded] } ] }\n', /notify\.webhooks\[0\]\.events\[0\]/);
    refused('notify: { webhooks: [ { name: a, url: "http://x/", secretRef: hook, retry: { initialSeconds: 10, maxSeconds: 5 } } ] }\n', /notify\.webhooks\[0\]\.retry\.maxSeconds/);
    refused('notify: { webhooks: [ { name: a, url: "http://x/", secret: "hunter2", secretRef: hook } ] }\n', /notify\.webhooks\[0\]/);
  });
});
