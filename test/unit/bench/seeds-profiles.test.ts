/**
 * The bench's command-line mappings: `--seeds` lists and ranges, `--profile` (and `--watchdog`
 * inside it) to the world and policy settings, `--strategy` to the policy override.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchMain } from '../../../bench/crash-bench.js';
import { AGENT_WATCHDOG, benchPolicy, parseStrategies, profileSettings } from '../../../bench/profiles.js';
import { MAX_SEEDS, parseSeedList } from '../../../bench/seeds.js';
import { UsageError } from '../../../bench/usage-error.js';
import { resolvePolicy } from '../../../src/core/policy.js';
import { agentLeaseSeconds, agentResetAfterContactLossSeconds } from '../../../src/drivers/pxe/watchdog-agent.js';

test('--seeds: ranges, lists and both mixed, in the order given', () => {
  assert.deepEqual(parseSeedList('1-20'), Array.from({ length: 20 }, (_, i) => i + 1));
  assert.deepEqual(parseSeedList('1,3,5'), [1, 3, 5]);
  assert.deepEqual(parseSeedList('7, 1-3'), [7, 1, 2, 3]);
  assert.deepEqual(parseSeedList('4'), [4]);
  assert.deepEqual(parseSeedList('4-4'), [4]);
});

test('--seeds: malformed, backwards, repeated or oversized lists are usage errors', () => {
  for (const bad of ['', 'a', '1-', '-3', '1..3', '1,,2', '1.5', '3-1']) assert.throws(() => parseSeedList(bad), UsageError, bad);
  assert.throws(() => parseSeedList('1-3,2'), /seed 2 twice/);
  assert.throws(() => parseSeedList(`1-${MAX_SEEDS + 1}`), /at most/);
  assert.throws(() => parseSeedList(`1-${MAX_SEEDS},${MAX_SEEDS + 5}`), /at most/);
});

test('profile defaults: the shipped policy, every host runs the shipped agent with its declared lease, boot progress from the BMC', () => {
  const s = profileSettings(undefined, undefined);
  assert.deepEqual(s, { profile: 'defaults', watchdog: AGENT_WATCHDOG, bootProgress: true });
  assert.deepEqual(AGENT_WATCHDOG, { kind: 'rrc-agent', contact: 'cluster', resetAfterSeconds: agentResetAfterContactLossSeconds(), leaseSeconds: agentLeaseSeconds() });
  assert.ok(AGENT_WATCHDOG.resetAfterSeconds <= AGENT_WATCHDOG.leaseSeconds, 'the world never resets later than the host declared');
  const policy = resolvePolicy(benchPolicy(s.selfFenceAfterSeconds, 'ours'));
  assert.deepEqual(policy, resolvePolicy(), 'the defaults profile runs the shipped policy unchanged');
  assert.throws(() => profileSettings('defaults', '60'), /--watchdog needs --profile watchdog/);
});

test('profile bare: the shipped policy, no watchdog anywhere', () => {
  const s = profileSettings('bare', undefined);
  assert.deepEqual(s, { profile: 'bare', watchdog: null, bootProgress: true });
  assert.deepEqual(resolvePolicy(benchPolicy(s.selfFenceAfterSeconds, 'ours')), resolvePolicy());
});

test('profile watchdog: 60 s unless --watchdog says otherwise; the policy self-fences after the same time', () => {
  assert.deepEqual(profileSettings('watchdog', undefined), {
    profile: 'watchdog',
    watchdog: { kind: 'sanlock', contact: 'storage', resetAfterSeconds: 60, leaseSeconds: 60 },
    selfFenceAfterSeconds: 60,
    bootProgress: true,
  });
  const s = profileSettings('watchdog', '45');
  assert.equal(s.watchdog?.resetAfterSeconds, 45);
  assert.equal(resolvePolicy(benchPolicy(s.selfFenceAfterSeconds, 'ours')).selfFenceAfterSeconds, 45);
  assert.throws(() => profileSettings('watchdog', 'off'), /use --profile bare/);
  assert.throws(() => profileSettings('watchdog', '-1'), /positive number/);
  assert.throws(() => profileSettings('lab', undefined), /--profile must be one of defaults, bare, watchdog/);
});

test('strategy: ours is the shipped ladder, reference turns evacuation first off and nothing else', () => {
  assert.deepEqual(parseStrategies(undefined), ['ours']);
  assert.deepEqual(parseStrategies('reference'), ['reference']);
  assert.deepEqual(parseStrategies('both'), ['ours', 'reference']);
  assert.throws(() => parseStrategies('talk'), /--strategy must be one of ours, reference, both/);
  const ours = resolvePolicy(benchPolicy(undefined, 'ours'));
  const reference = resolvePolicy(benchPolicy(undefined, 'reference'));
  assert.equal(ours.evacuateFirst, true);
  assert.equal(reference.evacuateFirst, false);
  assert.deepEqual({ ...reference, evacuateFirst: true }, ours);
});

test('benchMain: usage errors for the new options exit 2 before any run', async () => {
  const err: string[] = [];
  const io = { out: () => undefined, err: (s: string) => void err.push(s), tty: false };
  assert.equal((await benchMain(['--seeds', '3-1'], io)).code, 2);
  assert.equal((await benchMain(['--seed', '1', '--seeds', '1-2'], io)).code, 2);
  assert.equal((await benchMain(['--watchdog', '60'], io)).code, 2);
  assert.equal((await benchMain(['--strategy', 'x'], io)).code, 2);
  assert.match(err.join(''), /runs backwards[\s\S]*exclude each other[\s\S]*needs --profile watchdog[\s\S]*--strategy must be one of/);
});
