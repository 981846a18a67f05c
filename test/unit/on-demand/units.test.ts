import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDurationMs, formatSizeGb, parseDurationMs, parseSizeGb } from '../../../src/on-demand/units.js';

describe('sizes', () => {
  test('units M, G, T (binary), case and a trailing B or iB accepted', () => {
    assert.deepEqual(parseSizeGb('8G'), { ok: true, value: 8 });
    assert.deepEqual(parseSizeGb('200G'), { ok: true, value: 200 });
    assert.deepEqual(parseSizeGb('1T'), { ok: true, value: 1024 });
    assert.deepEqual(parseSizeGb('512M'), { ok: true, value: 0.5 });
    assert.deepEqual(parseSizeGb('1.5t'), { ok: true, value: 1536 });
    assert.deepEqual(parseSizeGb(' 8GiB '), { ok: true, value: 8 });
    assert.deepEqual(parseSizeGb('8GB'), { ok: true, value: 8 });
  });
  test('a bare number, a negative, zero or an unknown unit is refused with an example', () => {
    for (const bad of ['8', '-8G', '0G', '8X', 'G', '', '8 G G']) {
      const r = parseSizeGb(bad);
      assert.equal(r.ok, false, bad);
      if (!r.ok) assert.match(r.error, /8G|more than zero/);
    }
  });
  test('formatted back the shortest exact way', () => {
    assert.equal(formatSizeGb(8), '8G');
    assert.equal(formatSizeGb(1024), '1T');
    assert.equal(formatSizeGb(0.5), '512M');
  });
});

describe('durations', () => {
  test('units s, m, h, d', () => {
    assert.deepEqual(parseDurationMs('6h'), { ok: true, value: 6 * 3600_000 });
    assert.deepEqual(parseDurationMs('90m'), { ok: true, value: 90 * 60_000 });
    assert.deepEqual(parseDurationMs('2d'), { ok: true, value: 2 * 86_400_000 });
    assert.deepEqual(parseDurationMs('30s'), { ok: true, value: 30_000 });
    assert.deepEqual(parseDurationMs('1.5h'), { ok: true, value: 90 * 60_000 });
  });
  test('no unit, a wrong unit or zero is refused, naming the units', () => {
    for (const bad of ['6', '6H', '6w', '0h', '-1h', 'h', '1h30m']) {
      const r = parseDurationMs(bad);
      assert.equal(r.ok, false, bad);
      if (!r.ok) assert.match(r.error, /units s, m, h, d|more than zero/);
    }
  });
  test('formatted with the largest units first', () => {
    assert.equal(formatDurationMs(90 * 60_000), '1h30m');
    assert.equal(formatDurationMs(2 * 86_400_000), '2d');
    assert.equal(formatDurationMs(45_000), '45s');
    assert.equal(formatDurationMs(0), '0s');
  });
});
