/**
 * Files and variables the config names, checked where the check runs (run it as the service's
 * user, or with --env-file, to see what the service will see): secret files present and private,
 * secret variables set, TLS files present (the key private), PXE folders present.
 * Relative paths are taken from the config file's folder, as the loader does.
 */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { dig, isObject, str, type ProblemList } from './check-types.js';

type Path = PropertyKey[];

/** The file's stats, or the error code that kept us from them. */
function statOf(file: string): { stats: Stats } | { code: string } {
  try {
    return { stats: statSync(file) };
  } catch (e) {
    return { code: (e as NodeJS.ErrnoException).code ?? 'error' };
  }
}

/** The file must exist, be a regular file and readable here; returns its stats when it is. */
function readableFile(out: ProblemList, path: Path, file: string, what: string): Stats | null {
  const found = statOf(file);
  if ('code' in found) {
    out.error(path, `${what} ${file} ${found.code === 'ENOENT' ? 'does not exist' : `cannot be read (${found.code})`}`, 'file-missing');
    return null;
  }
  const st = found.stats;
  if (!st.isFile()) {
    out.error(path, `${what} ${file} is not a regular file`, 'file-missing');
    return null;
  }
  try {
    accessSync(file, constants.R_OK);
  } catch {
    out.error(path, `${what} ${file} is not readable by this user (uid ${process.getuid?.() ?? '?'}); the service's user must read it`, 'file-unreadable');
    return null;
  }
  return st;
}

/** A secret readable by group or others has leaked to every account of that group or host. */
function privateFile(out: ProblemList, path: Path, file: string, what: string): void {
  const st = readableFile(out, path, file, what);
  if (st && (st.mode & 0o077) !== 0) {
    out.error(path, `${what} ${file} has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}: group or others can read it; chmod 600 it (owner: the service's user)`, 'secret-file-mode');
  }
}

function folder(out: ProblemList, path: Path, dir: string, what: string): void {
  const found = statOf(dir);
  if (!('stats' in found) || !found.stats.isDirectory()) out.error(path, `${what} ${dir} is not a folder here`, 'folder-missing');
}

export function checkFiles(raw: unknown, configDir: string, env: NodeJS.ProcessEnv, out: ProblemList): void {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(configDir, p));
  const secrets = dig(raw, 'secrets');
  if (isObject(secrets)) {
    for (const [name, source] of Object.entries(secrets)) {
      const file = str(dig(source, 'file'));
      const variable = str(dig(source, 'env'));
      if (file !== undefined) privateFile(out, ['secrets', name, 'file'], abs(file), `secret "${name}": file`);
      else if (variable !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(variable) && !env[variable]) {
        // Only a warning: the service may get it from its own environment (EnvironmentFile=).
        out.warn(['secrets', name, 'env'], `secret "${name}": ${variable} is not set in this environment (give the service's env file with --env-file to check it)`, 'secret-env-unset');
      }
    }
  }
  const tls = dig(raw, 'api', 'tls');
  if (isObject(tls)) {
    const cert = str(tls.certFile);
    const key = str(tls.keyFile);
    if (cert !== undefined) readableFile(out, ['api', 'tls', 'certFile'], abs(cert), 'TLS certificate');
    if (key !== undefined) privateFile(out, ['api', 'tls', 'keyFile'], abs(key), 'TLS key');
  }
  const pxe = dig(raw, 'pxe');
  if (isObject(pxe)) {
    for (const key of ['filesRoot', 'tftpRoot', 'pxeTemplates', 'kickstartTemplates'] as const) {
      const dir = str(pxe[key]);
      if (dir !== undefined) folder(out, ['pxe', key], abs(dir), `pxe.${key}`);
    }
    const bins = dig(pxe, 'bootBinaries');
    if (isObject(bins)) {
      for (const [kind, bin] of Object.entries(bins)) {
        const file = str(dig(bin, 'path'));
        if (file !== undefined) readableFile(out, ['pxe', 'bootBinaries', kind, 'path'], abs(file), 'boot binary');
      }
    }
  }
}
