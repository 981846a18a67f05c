/** `request create --wait`: one line rewritten on a terminal, plain lines otherwise, exit reasons. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiClient } from '../../../src/cli/client.js';
import { CliError } from '../../../src/cli/errors.js';
import { waitUntilReady } from '../../../src/cli/commands/request-wait.js';
import type { RequestDetailOut } from '../../../src/on-demand/request-output.js';

/** Answers the given states in turn (the last one forever): a scripted controller, no network. */
function scriptedClient(states: Array<[RequestDetailOut['state'], string]>): ApiClient {
  let i = 0;
  return {
    get: async () => {
      const [state, message] = states[Math.min(i++, states.length - 1)] as [RequestDetailOut['state'], string];
      return { id: 'r-1', state, error: state === 'failed' ? 'qemu-img: no space' : null, timeline: [{ at: '', kind: 'step', message }] } as unknown as RequestDetailOut;
    },
  } as unknown as ApiClient;
}

const noSleep = async () => undefined;

test('off a terminal: one plain line per change, none repeated', async () => {
  const out: string[] = [];
  const client = scriptedClient([['placing', 'placed'], ['provisioning', 'overlay: started'], ['provisioning', 'overlay: started'], ['ready', 'ready']]);
  const d = await waitUntilReady(client, 'r-1', { pollMs: 1, timeoutMs: 10_000, tty: false, write: (s) => out.push(s), sleep: noSleep });
  assert.equal(d.state, 'ready');
  assert.deepEqual(out, ['r-1: placing - placed\n', 'r-1: provisioning - overlay: started\n', 'r-1: ready - ready\n']);
});

test('on a terminal: the line is rewritten in place, one newline at the end', async () => {
  const out: string[] = [];
  await waitUntilReady(scriptedClient([['provisioning', 'seed: started'], ['ready', 'ready']]), 'r-1', { pollMs: 1, timeoutMs: 10_000, tty: true, write: (s) => out.push(s), sleep: noSleep });
  assert.ok(out.slice(0, -1).every((s) => s.startsWith('\r\x1b[2K')));
  assert.equal(out.at(-1), '\n');
  assert.equal(out.join('').split('\n').length, 2);
});

test('a request that fails or is not ready in time: a CliError with the reason (exit 1)', async () => {
  await assert.rejects(
    waitUntilReady(scriptedClient([['failed', 'x']]), 'r-1', { pollMs: 1, timeoutMs: 10_000, tty: false, write: () => undefined, sleep: noSleep }),
    (e) => e instanceof CliError && e.exitCode === 1 && /r-1 is failed: qemu-img: no space/.test(e.message),
  );
  await assert.rejects(
    waitUntilReady(scriptedClient([['provisioning', 'x']]), 'r-1', { pollMs: 5, timeoutMs: 20, tty: false, write: () => undefined, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) }),
    (e) => e instanceof CliError && /not ready after/.test(e.message),
  );
});
