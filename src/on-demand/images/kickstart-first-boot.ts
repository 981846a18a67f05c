/**
 * The kickstart `%post` section for a machine installed over PXE: what the NoCloud seed does for
 * an image (hostname, the owner and their key, packages, first-boot commands).
 *
 * Quoting: every value is a single-quoted shell word. A kickstart line that starts with `%`
 * (`%end`) ends the section whatever the shell quoting, so no value may carry a newline into the
 * file: names and keys are validated one-line, and first-boot commands (free shell text, possibly
 * several lines) travel base64-encoded and are decoded by the shell that runs them.
 */
import type { FirstBootData } from '../catalogue-types.js';
import { recipeCommands, recipePackages, validateFirstBootData } from './first-boot-data.js';

/** One shell word holding exactly `value` (POSIX sh single quotes). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A comment-safe one-line preview of a command (the command itself runs from its base64). */
function preview(command: string): string {
  const line = command.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return line.length > 72 ? `${line.slice(0, 69)}...` : line;
}

export function renderKickstartFirstBoot(data: FirstBootData): string {
  validateFirstBootData(data);
  const q = shellQuote;
  const owner = q(data.owner);
  const packages = recipePackages(data);
  const commands = recipeCommands(data);
  const lines = [
    '%post --erroronfail --log=/root/3rc-first-boot.log',
    `# 3RC first boot for request ${data.instanceId} (owner ${data.owner}): generated, do not edit.`,
    'set -eu',
    // Empty in a real install; a test runs the section against a scratch root.
    'rrc_root="${RRC_ROOT:-}"',
    `hostnamectl set-hostname ${q(data.hostname)} 2>/dev/null || printf '%s\\n' ${q(data.hostname)} > "$rrc_root/etc/hostname"`,
    `id -u ${owner} >/dev/null 2>&1 || useradd --create-home --shell /bin/bash ${owner}`,
    `printf '%s\\n' ${q(`${data.owner} ALL=(ALL) NOPASSWD:ALL`)} > "$rrc_root/etc/sudoers.d/"${q(`3rc-${data.owner}`)}`,
    `chmod 0440 "$rrc_root/etc/sudoers.d/"${q(`3rc-${data.owner}`)}`,
    `rrc_home=$(getent passwd ${owner} | cut -d: -f6)`,
    'mkdir -p "$rrc_home/.ssh"',
    ...data.sshAuthorizedKeys.map((k) => `printf '%s\\n' ${q(k)} >> "$rrc_home/.ssh/authorized_keys"`),
    'touch "$rrc_home/.ssh/authorized_keys"',
    'chmod 0700 "$rrc_home/.ssh"',
    'chmod 0600 "$rrc_home/.ssh/authorized_keys"',
    `chown -R ${owner}: "$rrc_home/.ssh"`,
  ];
  if (packages.length > 0) {
    const words = packages.map(q).join(' ');
    lines.push(`if command -v dnf >/dev/null 2>&1; then dnf -y install ${words}; else yum -y install ${words}; fi`);
  }
  commands.forEach((command, i) => {
    const b64 = Buffer.from(command, 'utf8').toString('base64');
    lines.push(`# first-boot command ${i + 1}: ${preview(command)}`);
    lines.push(`sh -c "$(printf '%s' ${q(b64)} | base64 -d)"`);
  });
  lines.push('%end', '');
  return lines.join('\n');
}
