/**
 * Secret references (BMC passwords, SSH keys) resolved at the moment of use, from an environment
 * variable or a file. The configuration only ever holds the reference; values are never logged.
 */
import { readFile } from 'node:fs/promises';
import { RrcError } from '../../errors.js';

export interface SecretSource {
  env?: string;
  file?: string;
}

export type ResolveSecret = (ref: string) => Promise<string>;

/** Env var first, then file; one trailing newline is trimmed (as written by `echo` or editors). */
export function secretResolver(
  secrets: Record<string, SecretSource>,
  environment: NodeJS.ProcessEnv = process.env,
): ResolveSecret {
  return async (ref) => {
    const src = Object.prototype.hasOwnProperty.call(secrets, ref) ? secrets[ref] : undefined;
    if (!src) {
      const known = Object.keys(secrets).sort().join(', ') || 'none';
      throw new RrcError('RRC_ERR_CONFIG_INVALID', `unknown secret ref "${ref}" (configured: ${known})`);
    }
    if (src.env !== undefined) {
      const v = environment[src.env];
      if (v !== undefined && v !== '') return trimNewline(v);
      if (src.file === undefined) {
        throw new RrcError('RRC_ERR_CONFIG_INVALID', `secret "${ref}": environment variable ${src.env} is not set`);
      }
    }
    if (src.file !== undefined) {
      try {
        return trimNewline(await readFile(src.file, 'utf8'));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'error';
        // Only the path and errno: the message of a read error never contains the value, but be strict.
        throw new RrcError('RRC_ERR_CONFIG_INVALID', `secret "${ref}": cannot read file ${src.file} (${code})`);
      }
    }
    throw new RrcError('RRC_ERR_CONFIG_INVALID', `secret "${ref}" has neither env nor file`);
  };
}

function trimNewline(v: string): string {
  return v.replace(/\r?\n$/, '');
}
