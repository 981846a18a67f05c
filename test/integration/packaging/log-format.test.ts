/**
 * Log format: JSON lines unless a person is watching (stdout a terminal) or RRC_LOG_FORMAT /
 * `3rc --log-format` says otherwise. The terminal case is decided by resolveLogFormat's isTty input,
 * the rest goes through real pino streams.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, LOG_FORMAT_ENV, resolveLogFormat } from '../../../src/service/logger.js';
import { buildProgram } from '../../../src/cli/main.js';

const clock = { now: () => Date.parse('2026-01-02T03:04:05.678Z') } as Parameters<typeof createLogger>[0]['clock'];

function capture(): { stream: Writable & { write: Writable['write'] }; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('log format', () => {
  it('pretty on a terminal, JSON on a pipe; the environment forces either; a bad value is refused', () => {
    assert.equal(resolveLogFormat({ env: {}, isTty: true }), 'pretty');
    assert.equal(resolveLogFormat({ env: {}, isTty: false }), 'json');
    assert.equal(resolveLogFormat({ env: { [LOG_FORMAT_ENV]: 'json' }, isTty: true }), 'json');
    assert.equal(resolveLogFormat({ env: { [LOG_FORMAT_ENV]: 'PRETTY' }, isTty: false }), 'pretty');
    assert.equal(resolveLogFormat({ explicit: 'json', env: { [LOG_FORMAT_ENV]: 'pretty' } }), 'json');
    assert.equal(resolveLogFormat({ env: {}, isTty: true, ownDestination: true }), 'json', 'a given destination is not a person');
    assert.throws(() => resolveLogFormat({ env: { [LOG_FORMAT_ENV]: 'xml' } }), /RRC_LOG_FORMAT="xml": expected json or pretty/);
  });

  it('JSON: one object per line, the clock\'s time, secrets redacted', () => {
    const out = capture();
    const log = createLogger({ level: 'info', clock, destination: out.stream, format: 'json' });
    log.info({ host: 'hv1', password: 'hunter2' }, 'fenced');
    const line = JSON.parse(out.text().trim()) as Record<string, unknown>;
    assert.equal(line.msg, 'fenced');
    assert.equal(line.host, 'hv1');
    assert.equal(line.password, '[redacted]');
    assert.equal(line.time, '2026-01-02T03:04:05.678Z');
  });

  it('pretty: a readable line with level, message and fields, no JSON, secrets still redacted', () => {
    const out = capture();
    const log = createLogger({ level: 'info', clock, destination: out.stream, format: 'pretty' });
    log.warn({ host: 'hv1', password: 'hunter2' }, 'storm guard on');
    const text = out.text();
    assert.match(text, /WARN.*storm guard on/);
    assert.match(text, /"host":"hv1"/);
    assert.doesNotMatch(text, /hunter2/);
    assert.doesNotMatch(text, /\u001b\[/, 'no colour codes on a non-terminal destination');
    assert.throws(() => JSON.parse(text));
  });

  it('3rc --log-format sets RRC_LOG_FORMAT for the command it runs; a bad value is a usage error', async () => {
    const env: NodeJS.ProcessEnv = {};
    const program = buildProgram(env);
    // A command that needs nothing: the hook runs before any action.
    program.command('h12c-noop', { hidden: true }).action(() => {});
    await program.parseAsync(['node', '3rc', '--log-format', 'pretty', 'h12c-noop']);
    assert.equal(env[LOG_FORMAT_ENV], 'pretty');
    const bad = buildProgram({});
    bad.configureOutput({ writeErr: () => {}, outputError: () => {} });
    await assert.rejects(bad.parseAsync(['node', '3rc', '--log-format', 'xml', 'status']), /Allowed choices are json, pretty/);
  });
});
