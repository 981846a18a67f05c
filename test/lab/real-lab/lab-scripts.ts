/**
 * The shell scripts of the real lab: `bin/req.sh` forwards a request from a machine to the lab
 * process (request file, then wait for the answer file), `os.sh` is a machine's answer to SSH
 * commands (sshd's ForceCommand; mirrors src/env/sim/sim-shell.ts), and the ipmi_sim machine-mode
 * scripts turn chassis power into lab requests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Commands the machines' os.sh understands (exactly as the sim shell does). */
export interface OsCommands {
  hypervisorRestart: string;
  reboot: string[];
}

function shq(s: string): string {
  if (s.includes("'")) throw new Error(`lab: a command may not contain a single quote: ${s}`);
  return `'${s}'`;
}

/** bin/req.sh <machine> <action> <wait seconds, 0 = do not wait>: forwards a request to the lab. */
export function writeLabScripts(labDir: string): { req: string } {
  const bin = join(labDir, 'bin');
  mkdirSync(bin, { recursive: true });
  const req = join(bin, 'req.sh');
  writeFileSync(
    req,
    `#!/bin/sh
L=${shq(labDir)}
[ -e "$L/closed" ] && exit 0
id="$1.$$.$(date +%s%N)"
printf '%s %s\\n' "$1" "$2" > "$L/req/.$id" && mv "$L/req/.$id" "$L/req/$id" || exit 1
[ "$3" = 0 ] && exit 0
n=0; max=$(($3 * 50))
while [ ! -e "$L/done/$id" ]; do
  n=$((n + 1))
  if [ "$n" -gt "$max" ] || [ -e "$L/closed" ]; then echo "lab: $2 on $1: no answer within $3 s" >&2; exit 1; fi
  sleep 0.02
done
code=$(cat "$L/done/$id"); rm -f "$L/done/$id"
exit "\${code:-1}"
`,
  );
  return { req };
}

/** The machine's answer to SSH commands (ForceCommand); mirrors src/env/sim/sim-shell.ts. */
export function writeOsScript(
  dir: string,
  req: string,
  machine: string,
  kind: 'host' | 'guest',
  cmds: OsCommands,
  serviceRestart?: string,
): string {
  const file = join(dir, 'os.sh');
  const lines = [
    '#!/bin/sh',
    'cmd="$SSH_ORIGINAL_COMMAND"',
    'case "$cmd" in',
    '  true) exit 0;;',
    `  hostname) echo ${shq(machine)}; exit 0;;`,
  ];
  if (kind === 'host') lines.push(`  ${shq(cmds.hypervisorRestart)}) exec sh ${shq(req)} ${shq(machine)} hv-restart 30;;`);
  if (kind === 'guest' && serviceRestart) lines.push(`  ${shq(serviceRestart)}) exec sh ${shq(req)} ${shq(machine)} service-restart 30;;`);
  lines.push(`  ${cmds.reboot.map(shq).join('|')}) exec sh ${shq(req)} ${shq(machine)} reboot 0;;`);
  lines.push('  *) echo "sh: 1: ${cmd%% *}: not found" >&2; exit 127;;', 'esac', '');
  writeFileSync(file, lines.join('\n'));
  return file;
}

/** ipmi_sim machine-mode scripts of a host: power is the lab's, changed through requests. */
export function bmcMachineScripts(hostDir: string, req: string, machine: string): { start: string; stop: string; alive: string } {
  return {
    alive: `[ "$(cat ${shq(join(hostDir, 'power'))} 2>/dev/null)" = on ]\n`,
    stop: `exec sh ${shq(req)} ${shq(machine)} power-off 10\n`,
    start: `exec sh ${shq(req)} ${shq(machine)} power-on 10\n`,
  };
}
