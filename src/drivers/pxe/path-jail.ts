/**
 * Resolve a client-supplied file name inside a root folder, or refuse it.
 * Used by TFTP and by the HTTP `/files/*` route. Two layers: a lexical check (no NUL or control
 * characters, no backslash, not absolute, no `..` segment) and a real-path check (after symlinks
 * the file must still be inside the root's real path and be a regular file). Callers open the
 * returned real path with O_NOFOLLOW, so a final component swapped for a symlink after the check
 * is refused too.
 */
import { constants } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';

export type JailReason =
  | 'empty' | 'too-long' | 'control-char' | 'backslash' | 'absolute' | 'traversal' | 'outside-root' | 'not-found' | 'not-file';

export class JailError extends Error {
  constructor(readonly reason: JailReason, name: string) {
    super(`refused path "${name.slice(0, 80).replace(/[^\x20-\x7e]/g, '?')}": ${reason}`);
    this.name = 'JailError';
  }
  /** Not-found is an ordinary miss; the others are attempts to leave the jail or bad names. */
  get violation(): boolean {
    return this.reason !== 'not-found';
  }
}

export const MAX_NAME = 1024;

/** Lexical checks only; returns the cleaned relative path (`a//./b` -> `a/b`). */
export function checkName(name: string): string {
  if (name.length === 0) throw new JailError('empty', name);
  if (name.length > MAX_NAME) throw new JailError('too-long', name);
  if (/[\x00-\x1f\x7f]/.test(name)) throw new JailError('control-char', name);
  if (name.includes('\\')) throw new JailError('backslash', name);
  if (name.startsWith('/')) throw new JailError('absolute', name);
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new JailError('traversal', name);
  if (segments.length === 0) throw new JailError('empty', name);
  return segments.join('/');
}

/** Real path of `root` (resolve once at start-up and pass it back in). */
export async function realRoot(root: string): Promise<string> {
  const r = await realpath(root);
  if (!(await stat(r)).isDirectory()) throw new Error(`root "${root}" is not a directory`);
  return r;
}

/** Full check: returns the real path of a regular file strictly inside `rootReal`. */
export async function resolveInRoot(rootReal: string, name: string): Promise<{ path: string; size: number }> {
  const rel = checkName(name);
  let real: string;
  try {
    real = await realpath(join(rootReal, rel));
  } catch {
    throw new JailError('not-found', name);
  }
  if (!real.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep)) throw new JailError('outside-root', name);
  const st = await stat(real);
  if (!st.isFile()) throw new JailError('not-file', name);
  return { path: real, size: st.size };
}

/** Flags for opening a resolved path read-only without following a last-moment symlink. */
export const OPEN_READ_NOFOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;
