/**
 * A tiny `{{var}}` / `{{var|filter}}` renderer for iPXE scripts and kickstart files.
 *
 * The values come from the inventory and the controller, and the output is executed by iPXE or
 * by the installer as root, so every value is checked for its target: an unknown variable, an
 * unknown filter, an unclosed tag or a value with characters that would change the meaning of
 * the script is an error (TemplateError), never silently passed through. iPXE has no quoting
 * (it expands `${...}` everywhere), so for iPXE the check is a strict character whitelist.
 *
 * Filters: `lines` / `words` / `commas` join a list; `sh` single-quotes a string for a shell
 * (%post); `shwords` single-quotes each item of a list and joins them with spaces.
 */

export type TemplateValue = string | number | readonly string[];
export type TemplateVars = Readonly<Record<string, TemplateValue>>;
export type EscapeMode = 'ipxe' | 'kickstart' | 'none';

export class TemplateError extends Error {
  constructor(message: string, readonly template?: string) {
    super(template ? `${template}: ${message}` : message);
    this.name = 'TemplateError';
  }
}

/** iPXE: no `$ { } ; | # " ' \` or control characters; `&&` would split the command. */
const IPXE_SAFE = /^[A-Za-z0-9._:/?=&%+,@~ -]*$/;
/** Kickstart command arguments and package lines: the same plus `^` and `*` (package globs). */
const KS_SAFE = /^[A-Za-z0-9._:/?=&%+,@~^* -]*$/;

const TAG = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*([a-z]+)\s*)?\}\}/y;

function check(value: string, mode: EscapeMode, where: string): string {
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) throw new TemplateError(`value of ${where} contains control characters`);
  if (mode === 'ipxe' && (!IPXE_SAFE.test(value) || value.includes('&&'))) {
    throw new TemplateError(`value of ${where} is not safe in an iPXE script: ${JSON.stringify(value)}`);
  }
  if (mode === 'kickstart' && !KS_SAFE.test(value)) {
    throw new TemplateError(`value of ${where} is not safe in a kickstart file: ${JSON.stringify(value)}`);
  }
  return value;
}

/** POSIX shell single quotes: safe for any text without control characters. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function applyFilter(name: string, value: TemplateValue, filter: string | undefined, mode: EscapeMode): string {
  const list = (): readonly string[] => {
    if (!Array.isArray(value)) throw new TemplateError(`filter "${filter}" needs a list for ${name}`);
    return value as readonly string[];
  };
  const scalar = (): string => {
    if (Array.isArray(value)) throw new TemplateError(`${name} is a list: use a join filter (lines, words, commas, shwords)`);
    return String(value);
  };
  switch (filter) {
    case undefined:
      return check(scalar(), mode, name);
    case 'lines':
      return list().map((v) => check(v, mode, name)).join('\n');
    case 'words':
      return list().map((v) => check(v, mode, name)).join(' ');
    case 'commas':
      return list().map((v) => check(v, mode, name)).join(',');
    case 'sh':
      if (mode === 'ipxe') throw new TemplateError('filter "sh" is meaningless in an iPXE script');
      return shQuote(check(scalar(), 'none', name));
    case 'shwords':
      if (mode === 'ipxe') throw new TemplateError('filter "shwords" is meaningless in an iPXE script');
      return list().map((v) => shQuote(check(v, 'none', name))).join(' ');
    default:
      throw new TemplateError(`unknown filter "${filter}" for ${name}`);
  }
}

export function renderTemplate(tpl: string, vars: TemplateVars, opts: { escape: EscapeMode; name?: string }): string {
  let out = '';
  let i = 0;
  try {
    while (i < tpl.length) {
      const open = tpl.indexOf('{{', i);
      if (open === -1) {
        out += tpl.slice(i);
        break;
      }
      out += tpl.slice(i, open);
      TAG.lastIndex = open;
      const m = TAG.exec(tpl);
      if (!m) {
        const line = tpl.slice(0, open).split('\n').length;
        throw new TemplateError(`malformed or unclosed tag at line ${line}`);
      }
      const [, name, filter] = m as unknown as [string, string, string | undefined];
      if (!Object.prototype.hasOwnProperty.call(vars, name)) throw new TemplateError(`unknown variable "${name}"`);
      out += applyFilter(name, vars[name]!, filter, opts.escape);
      i = TAG.lastIndex;
    }
  } catch (e) {
    if (e instanceof TemplateError && opts.name && !e.template) throw new TemplateError(e.message, opts.name);
    throw e;
  }
  return out;
}

/** Variable names a template uses (for checks at start-up). */
export function templateVariables(tpl: string): string[] {
  const names = new Set<string>();
  for (const m of tpl.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1]!);
  return [...names].sort();
}
