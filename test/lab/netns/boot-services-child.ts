/**
 * Runs the project's boot services (startBootServices: DHCP + TFTP + HTTP) inside a network
 * namespace for the reinstall tests, started by remote-boot-services.ts as
 * `ip netns exec <ns> node --import tsx boot-services-child.ts '<config json>'`.
 * stdout: one JSON object per line: {event: 'ready', ports, baseUrl} | {event: 'milestone', ...}
 *   | {event: 'reply', id, result} | {event: 'error', id?, error}.
 * stdin: one JSON command per line: {id, cmd: 'netboot', mac, on} | {id, cmd: 'token', host}
 *   | {id, cmd: 'netboot?', mac} | {id, cmd: 'stats'} | {id, cmd: 'stop'}.
 * The parent going away (stdin closed) stops it; so does a hard cap of 10 minutes.
 */
import { createInterface } from 'node:readline';
import { startBootServices, type BootMilestone, type BootServicesConfig } from '../../../src/drivers/pxe/index.js';
import { realClock } from '../../../src/env/real/clock.js';
import type { Logger } from '../../../src/env/env.js';
import { errorText } from '../../../src/errors.js';

const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const cfg = JSON.parse(process.argv[2] ?? '{}') as Omit<BootServicesConfig, 'log' | 'clock'>;

const verbose = process.env['PXE_TEST_LOG'] === '1';
const logger = (bindings: Record<string, unknown>): Logger => {
  const at = (level: string) => (obj: object, msg?: string) => {
    if (verbose || level === 'error') process.stderr.write(`${level} ${msg ?? ''} ${JSON.stringify({ ...bindings, ...obj })}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (b) => logger({ ...bindings, ...b }) };
};

const svc = await startBootServices({ ...cfg, log: logger({}), clock: realClock }).catch((e: unknown) => {
  say({ event: 'error', error: errorText(e) });
  process.exit(1);
});
svc.events.on('milestone', (m: BootMilestone) => say({ event: 'milestone', ...m }));

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await svc.stop();
  process.exit(0);
};
process.stdin.on('end', () => void stop());
setTimeout(() => void stop(), 600_000).unref();

createInterface({ input: process.stdin }).on('line', (line) => {
  let id: unknown;
  try {
    const c = JSON.parse(line) as { id?: unknown; cmd: string; mac?: string; on?: boolean; host?: string };
    id = c.id;
    switch (c.cmd) {
      case 'netboot':
        svc.setNetboot(c.mac!, c.on!);
        return say({ event: 'reply', id, result: true });
      case 'token':
        svc.issueToken(c.host!);
        return say({ event: 'reply', id, result: true });
      case 'netboot?':
        return say({ event: 'reply', id, result: svc.isNetbootEnabled(c.mac!) });
      case 'stats':
        return say({ event: 'reply', id, result: svc.stats() });
      case 'stop':
        return void stop();
      default:
        throw new Error(`unknown command ${c.cmd}`);
    }
  } catch (e) {
    say({ event: 'error', id, error: errorText(e) });
  }
});

say({ event: 'ready', ports: svc.ports, baseUrl: svc.baseUrl });
