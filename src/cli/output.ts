/** Human output (aligned plain-text tables, key/value blocks) and --json output. */

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | boolean | null | undefined;
  align?: 'left' | 'right';
}

const cell = (v: string | number | boolean | null | undefined): string => (v === null || v === undefined || v === '' ? '-' : String(v));

export function table<T>(rows: readonly T[], cols: ReadonlyArray<Column<T>>): string {
  const cells = rows.map((r) => cols.map((c) => cell(c.value(r))));
  const widths = cols.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => (cols[i]?.align === 'right' ? v.padStart(widths[i] as number) : v.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(cols.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** `key: value` lines with the keys aligned. */
export function keyValues(pairs: ReadonlyArray<[string, string | number | boolean | null | undefined]>): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(w + 1)}  ${cell(v)}`).join('\n') + '\n';
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `2025-01-15 09:30:00Z` from an ISO string: shorter, still unambiguous. */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** `42s`, `5m`, `3h`, `2d` since an ISO time. */
export function age(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}
