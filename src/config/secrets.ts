/**
 * Resolves a secret by name (a host's bmc.secretRef, an ssh keyRef) from where the config says it
 * lives. Error messages name the secret and its source, never its value.
 */
import { readFileSync } from 'node:fs';
import { RrcError } from '../errors.js';
import type { ControllerConfig } from './types.js';

export function resolveSecret(
  secrets: ControllerConfig['secrets'],
  ref: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const src = secrets[ref];
  if (!src) throw new RrcError('RRC_ERR_CONFIG_INVALID', `secret "${ref}" is not declared under secrets`);
  if (src.env !== undefined) {
    const v = env[src.env];
    if (v === undefined || v === '') {
      throw new RrcError('RRC_ERR_CONFIG_INVALID', `secret "${ref}": environment variable ${src.env} is not set`);
    }
    return v;
  }
  try {
    // Key files keep their trailing newline (OpenSSH needs it); password files lose it.
    const text = readFileSync(src.file as string, 'utf8');
    return text.includes('PRIVATE KEY') ? text : text.replace(/\r?\n$/, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new RrcError('RRC_ERR_CONFIG_INVALID', `secret "${ref}": cannot read ${src.file} (${code})`);
  }
}
