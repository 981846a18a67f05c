/**
 * A busybox initramfs that plays a hypervisor host running 3RC's self-fence agent, for the real
 * watchdog test: /init loads the e1000 NIC and the i6300esb watchdog of the test kernel, gives
 * eth0 QEMU user networking's guest address (10.0.2.15/24, no default route: the guest reaches
 * only QEMU's 10.0.2.0/24, where 10.0.2.2 is the host's 127.0.0.1), then starts the shipped agent
 * (kickstart/rrc-watchdog.sh, unchanged) with the settings the test wrote to /etc/3rc/watchdog.conf,
 * the path the kickstart writes them to. The agent's own lines ("rrc-watchdog: ...") go to the
 * serial console; /init adds the watchdog device's state and timeout as sysfs shows them once the
 * agent has armed it, then idles (bounded).
 *
 * The agent needs bash, curl, timeout and wdctl: Debian's binaries with their libraries (ldd); the
 * common part (busybox, modules, the start of /init) is busybox-initramfs.ts.
 */
import { readFileSync } from 'node:fs';
import { buildBusyboxInitramfs, initPreamble } from './busybox-initramfs.js';
import type { TestKernel } from './test-kernel.js';

export const WATCHDOG_GUEST_TAG = 'RRC-GUEST';
export const GUEST_ADDRESS = '10.0.2.15';
/** QEMU user networking's address for the host (its 127.0.0.1), as the guest sees it. */
export const HOST_FROM_GUEST = '10.0.2.2';

/** i6300esb needs the watchdog core (its modinfo depends=); moduleLoadOrder adds it. */
const MODULES = ['e1000', 'i6300esb'];

const APPLETS = ['sh', 'mount', 'insmod', 'sleep', 'cat', 'ip', 'awk', 'reboot', 'echo', 'mkdir', 'ls'];

/** [program, Debian package]: what the agent runs besides bash builtins. */
const PROGRAMS: [string, string][] = [
  ['bash', 'bash'],
  ['curl', 'curl'],
  ['timeout', 'coreutils'],
  ['wdctl', 'util-linux'],
];

/** The agent's settings, as kickstart/rrc-watchdog.sh reads them. */
export interface AgentSettings {
  controllers: string[];
  peers: string[];
  peerPort: number;
  watchdogTimeoutS: number;
  intervalS: number;
  checkTimeoutS: number;
  guestsCommand: string;
}

const shellQuote = (v: string): string => `'${v.replace(/'/g, `'\\''`)}'`;

/** /etc/3rc/watchdog.conf for these settings (the agent sources it). */
export function watchdogConf(s: AgentSettings): string {
  const vars: [string, string][] = [
    ['RRC_CONTROLLERS', s.controllers.join(' ')],
    ['RRC_PEERS', s.peers.join(' ')],
    ['RRC_PEER_PORT', String(s.peerPort)],
    ['RRC_WATCHDOG_DEVICE', '/dev/watchdog'],
    ['RRC_WATCHDOG_TIMEOUT', String(s.watchdogTimeoutS)],
    ['RRC_INTERVAL', String(s.intervalS)],
    ['RRC_CHECK_TIMEOUT', String(s.checkTimeoutS)],
    ['RRC_GUESTS_COMMAND', s.guestsCommand],
  ];
  return vars.map(([k, v]) => `${k}=${shellQuote(v)}\n`).join('');
}

/** Every loop below is bounded (device wait: 150 x 0.2 s; idle: 900 s, then a reset). */
const INIT = `${initPreamble(WATCHDOG_GUEST_TAG)}i=0
while { [ ! -c /dev/watchdog ] || [ ! -d /sys/class/net/eth0 ]; } && [ $i -lt 150 ]; do sleep 0.2; i=$((i+1)); done
ip link set lo up
ip addr add ${GUEST_ADDRESS}/24 dev eth0
ip link set eth0 up
say "network=$(ip -4 -o addr show dev eth0 | awk '{ print $4 }')"
wd=/sys/class/watchdog/watchdog0
before=$(cat $wd/timeout)
say "watchdog=$(cat $wd/identity) timeout-before-agent=$before"
/bin/rrc-watchdog &
# The agent sets the timeout (wdctl) and then holds the device open: active with the new timeout.
i=0
while { [ "$(cat $wd/state)" != active ] || [ "$(cat $wd/timeout)" = "$before" ]; } && [ $i -lt 150 ]; do sleep 0.2; i=$((i+1)); done
sleep 1
say "watchdog-state=$(cat $wd/state) watchdog-timeout=$(cat $wd/timeout)"
sleep 900
say "idle limit reached"
reboot -f
`;

export function buildWatchdogAgentInitramfs(kernel: TestKernel, agentScript: string, conf: string): Buffer {
  return buildBusyboxInitramfs({
    kernel,
    init: INIT,
    modules: MODULES,
    applets: APPLETS,
    programs: PROGRAMS,
    extra: [
      { kind: 'file', path: 'bin/rrc-watchdog', data: readFileSync(agentScript), mode: 0o755 },
      { kind: 'file', path: 'etc/3rc/watchdog.conf', data: conf },
    ],
  });
}
