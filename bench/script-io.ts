/**
 * What the stand-alone bench scripts (pxe, probe-scale, lab-steps) share: running `main` when the
 * file is executed directly, and writing a report as JSON plus its Markdown.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Runs `main(argv)` and exits with its code when `metaUrl` is the script node was started with. */
export function runAsScript(metaUrl: string, main: (argv: string[]) => Promise<number>): void {
  if (!process.argv[1] || resolve(process.argv[1]) !== resolve(new URL(metaUrl).pathname)) return;
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : String(e));
      process.exit(1);
    },
  );
}

/** Writes the JSON (if a path is given) and the Markdown (to its path, else stdout). */
export function writeReport(report: unknown, md: string, paths: { json?: string; md?: string }, log: (line: string) => void): void {
  if (paths.json) {
    mkdirSync(dirname(paths.json), { recursive: true });
    writeFileSync(paths.json, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${paths.json}`);
  }
  if (paths.md) {
    mkdirSync(dirname(paths.md), { recursive: true });
    writeFileSync(paths.md, md);
    log(`wrote ${paths.md}`);
  } else {
    process.stdout.write(md);
  }
}
