/**
 * Turns zod issues into lines an operator can act on: "<where>: <what is wrong>".
 * Used by the API's 400 responses, the config loader and the CLI's local validation.
 */
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/** `inventory.hosts[0].macs[1]` from `['inventory','hosts',0,'macs',1]`. */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

export interface IssueLine {
  path: string;
  message: string;
  code: string;
}

/** One line per problem; an unknown key is reported at the key itself, not at its parent. */
export function issueLines(issues: readonly Issue[], prefix = ''): IssueLine[] {
  const lines: IssueLine[] = [];
  for (const iss of issues) {
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) {
        lines.push({ path: formatPath([...iss.path, key], prefix), message: 'unknown key', code: iss.code });
      }
      continue;
    }
    let message = iss.message;
    if (iss.code === 'invalid_type' && /received undefined$/.test(message)) message = 'is required';
    lines.push({ path: formatPath(iss.path, prefix) || prefix || '(root)', message, code: iss.code });
  }
  return lines;
}

export function issuesText(issues: readonly Issue[], prefix = ''): string {
  return issueLines(issues, prefix)
    .map((l) => `${l.path}: ${l.message}`)
    .join('; ');
}
