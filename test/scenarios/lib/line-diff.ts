/**
 * A short line diff (longest common subsequence) for a golden-log mismatch: changed lines with
 * `-` (expected) and `+` (actual), a line of context around each change, capped in length.
 */
export function lineDiff(expected: readonly string[], actual: readonly string[], maxLines = 40): string {
  const n = expected.length;
  const m = actual.length;
  // lcs[i][j]: length of the common subsequence of expected[i..] and actual[j..].
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = expected[i] === actual[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: Array<[' ' | '-' | '+', string]> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] === actual[j]) {
      ops.push([' ', expected[i]!]);
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i]![j + 1]! > lcs[i + 1]![j]!)) ops.push(['+', actual[j++]!]);
    else ops.push(['-', expected[i++]!]);
  }
  const keep = ops.map((op, k) => op[0] !== ' ' || ops[k - 1]?.[0] === '-' || ops[k - 1]?.[0] === '+' || ops[k + 1]?.[0] === '-' || ops[k + 1]?.[0] === '+');
  const out: string[] = [];
  let skipped = false;
  ops.forEach(([sign, line], k) => {
    if (!keep[k]) {
      if (!skipped) out.push('  ...');
      skipped = true;
      return;
    }
    skipped = false;
    out.push(`${sign} ${line}`);
  });
  if (out.length > maxLines) return [...out.slice(0, maxLines), `  ... (${out.length - maxLines} more diff lines)`].join('\n');
  return out.join('\n');
}
