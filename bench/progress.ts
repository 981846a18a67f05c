/** A one-line progress bar on a terminal (stderr); the bench uses it only when stderr is a TTY. */
export class Progress {
  private readonly started = performance.now();
  private last = '';

  constructor(private readonly total: number, private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(done: number, total = this.total): void {
    const width = 30;
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(frac * width);
    const seconds = (performance.now() - this.started) / 1000;
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} injections  ${seconds.toFixed(1)} s`;
    if (line === this.last) return;
    this.last = line;
    this.stream.write(`\r${line}`);
  }

  finish(): void {
    this.update(this.total);
    this.stream.write('\n');
  }
}
