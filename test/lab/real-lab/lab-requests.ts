/**
 * Requests from the lab's scripts to the lab process: `bin/req.sh` (lab-scripts.ts) writes
 * `req/<id>` holding "<machine> <action>" and, unless told not to wait, waits for `done/<id>`
 * holding the exit code. Seen through fs.watch, with a 100 ms poll as the fallback. After
 * `close()` (a `closed` marker) the scripts return at once and nothing more is served.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export class RequestInbox {
  private readonly handling = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  private watcher: FSWatcher | null = null;
  private poller: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly labDir: string,
    /** Performs one request; resolves with the requester's exit code (never rejects). */
    private readonly handle: (machine: string, action: string) => Promise<number>,
  ) {
    mkdirSync(join(labDir, 'req'), { recursive: true });
    mkdirSync(join(labDir, 'done'), { recursive: true });
  }

  start(): void {
    const dir = join(this.labDir, 'req');
    try {
      this.watcher = watch(dir, () => this.scan());
      this.watcher.on('error', () => undefined);
    } catch {
      this.watcher = null; // the poll below still sees every request
    }
    this.poller = setInterval(() => this.scan(), 100);
  }

  private scan(): void {
    if (this.closed) return;
    let names: string[];
    try {
      names = readdirSync(join(this.labDir, 'req'));
    } catch {
      return;
    }
    for (const id of names.sort()) {
      if (id.startsWith('.') || this.handling.has(id)) continue;
      this.handling.add(id);
      const file = join(this.labDir, 'req', id);
      let line = '';
      try {
        line = readFileSync(file, 'utf8').trim();
        rmSync(file, { force: true });
      } catch {
        this.handling.delete(id);
        continue;
      }
      const [machine = '', action = ''] = line.split(/\s+/);
      const p = this.handle(machine, action).then((code) => {
        if (!this.closed) writeFileSync(join(this.labDir, 'done', id), `${code}\n`);
        this.handling.delete(id);
      });
      this.inflight.add(p);
      void p.finally(() => this.inflight.delete(p));
    }
  }

  /** Requests being handled right now. */
  settled(): Promise<unknown> {
    return Promise.allSettled([...this.inflight]);
  }

  /** Stops serving: scripts waiting or starting now return at once. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    writeFileSync(join(this.labDir, 'closed'), '');
    this.watcher?.close();
    if (this.poller) clearInterval(this.poller);
  }
}
