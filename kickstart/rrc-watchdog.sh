#!/bin/bash
# rrc-watchdog: the self-fence half of 3RC's do-no-harm contract, run on every hypervisor host the
# controller installs (kickstart/default.ks.tpl installs it as rrc-watchdog.service).
#
# Contract: while this host runs guests, it keeps its watchdog device fed only as long as it has
# contact with the cluster: a 3RC controller answers HTTP, or a strict majority of its peer hosts
# accept a TCP connection. A host cut off from all of them (isolated, or hung so that this loop no
# longer runs) is reset by the watchdog device at most RRC_WATCHDOG_TIMEOUT seconds after its last
# contact. The controller may then count a host it cannot see, and that no peer can see, as reset
# after the lease it declared at install time (`lease` below) and start its VMs elsewhere: the
# host cannot still be running them. A host that reaches a majority of its peers is never reset,
# so a controller that loses its own network resets nothing.
#
# Settings come from /etc/3rc/watchdog.conf (written by the kickstart) or the environment:
#   RRC_CONTROLLERS        controller base URLs, space separated (contact: any HTTP answer from /health)
#   RRC_PEERS              peer host addresses, space separated (contact: a strict majority answers)
#   RRC_PEER_PORT          TCP port tried on peers (22: every managed host runs sshd)
#   RRC_WATCHDOG_DEVICE    /dev/watchdog
#   RRC_WATCHDOG_TIMEOUT   device timeout in seconds (45)
#   RRC_INTERVAL           seconds between checks (5)
#   RRC_CHECK_TIMEOUT      seconds one contact check may take (3)
#   RRC_GUESTS_COMMAND     prints the running guests, one per line (virsh); a failure counts as "guests may run"
#   RRC_SYSRQ_TRIGGER      /proc/sysrq-trigger: the reset this agent forces itself when the device
#                          would fire later than RRC_WATCHDOG_TIMEOUT (its timeout could not be set)
# `rrc-watchdog lease` prints the declared lease: the longest a host can keep running after its
# last contact (timeout + one interval + one check).
set -u

conf=${RRC_WATCHDOG_CONF:-/etc/3rc/watchdog.conf}
# shellcheck source=/dev/null
[ -r "$conf" ] && . "$conf"
CONTROLLERS=${RRC_CONTROLLERS:-}
PEERS=${RRC_PEERS:-}
PEER_PORT=${RRC_PEER_PORT:-22}
DEVICE=${RRC_WATCHDOG_DEVICE:-/dev/watchdog}
TIMEOUT=${RRC_WATCHDOG_TIMEOUT:-45}
INTERVAL=${RRC_INTERVAL:-5}
CHECK_TIMEOUT=${RRC_CHECK_TIMEOUT:-3}
GUESTS_COMMAND=${RRC_GUESTS_COMMAND:-virsh -q -c qemu:///system list --name --state-running}
SYSRQ=${RRC_SYSRQ_TRIGGER:-/proc/sysrq-trigger}

say() { printf 'rrc-watchdog: %s\n' "$*" >&2; }

for n in "$TIMEOUT" "$INTERVAL" "$CHECK_TIMEOUT" "$PEER_PORT"; do
  case $n in '' | *[!0-9]*) say "not a whole number of seconds or a port: '$n'"; exit 2 ;; esac
done
if [ "$INTERVAL" -lt 1 ] || [ "$CHECK_TIMEOUT" -lt 1 ] || [ $((INTERVAL + CHECK_TIMEOUT)) -ge "$TIMEOUT" ]; then
  say "RRC_INTERVAL ($INTERVAL) + RRC_CHECK_TIMEOUT ($CHECK_TIMEOUT) must stay below RRC_WATCHDOG_TIMEOUT ($TIMEOUT)"
  exit 2
fi

if [ "${1:-}" = lease ]; then
  echo $((TIMEOUT + INTERVAL + CHECK_TIMEOUT))
  exit 0
fi

# Any HTTP answer, even an error status, proves the controller and the network between us work.
controller_answers() {
  curl -sS -o /dev/null --max-time "$CHECK_TIMEOUT" "$1/health" 2>/dev/null
}

peer_answers() {
  timeout "$CHECK_TIMEOUT" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$PEER_PORT" 2>/dev/null
}

# Contact with the cluster: one controller, or a strict majority of the peers (checked in parallel).
in_contact() {
  local url peer pids=() total=0 answered=0 pid
  for url in $CONTROLLERS; do
    controller_answers "$url" && return 0
  done
  for peer in $PEERS; do
    peer_answers "$peer" &
    pids+=("$!")
    total=$((total + 1))
  done
  [ "$total" -eq 0 ] && return 1
  for pid in "${pids[@]}"; do
    wait "$pid" && answered=$((answered + 1))
  done
  [ $((answered * 2)) -gt "$total" ]
}

# Guests may be running unless the hypervisor says none are.
runs_guests() {
  local out
  out=$($GUESTS_COMMAND 2>/dev/null) || return 0
  [ -n "${out//[[:space:]]/}" ]
}

# A hardware device takes its timeout here; softdog takes it from its module option.
if command -v wdctl >/dev/null 2>&1; then
  wdctl -s "$TIMEOUT" "$DEVICE" >/dev/null 2>&1 || true
fi
exec 3>"$DEVICE" || { say "cannot open $DEVICE"; exit 1; }
# The declared lease holds only if the device fires within TIMEOUT. When its timeout could not be
# set (or cannot be read back), this agent resets the host itself at TIMEOUT; the device remains
# the backstop for a host too hung to run this loop.
name=${DEVICE##*/}
[ "$name" = watchdog ] && name=watchdog0
effective=$(cat "/sys/class/watchdog/$name/timeout" 2>/dev/null || echo unknown)
self_reset=1
case $effective in
  '' | *[!0-9]*) say "cannot read the timeout of $DEVICE back: resetting the host myself ${TIMEOUT}s after losing contact" ;;
  *) if [ "$effective" -le "$TIMEOUT" ]; then self_reset=0; else say "$DEVICE fires after ${effective}s, not ${TIMEOUT}s: resetting the host myself ${TIMEOUT}s after losing contact"; fi ;;
esac
# A deliberate stop disarms the device (magic close); a kill or a crash leaves it armed.
trap 'printf V >&3; exec 3>&-; say "stopped: watchdog disarmed"; exit 0' TERM INT
say "armed $DEVICE (timeout ${TIMEOUT}s, lease $((TIMEOUT + INTERVAL + CHECK_TIMEOUT))s); controllers: ${CONTROLLERS:-none}; peers: ${PEERS:-none}"

fed=1
last_feed=$SECONDS
while :; do
  if ! runs_guests || in_contact; then
    printf . >&3
    last_feed=$SECONDS
    [ "$fed" -eq 1 ] || say "contact back: feeding the watchdog again"
    fed=1
  else
    if [ "$fed" -eq 1 ]; then
      say "no controller and no majority of peers answer while guests run: not feeding the watchdog (reset in ${TIMEOUT}s unless contact returns)"
      fed=0
    fi
    if [ "$self_reset" -eq 1 ] && [ $((SECONDS - last_feed)) -ge "$TIMEOUT" ]; then
      say "no contact for ${TIMEOUT}s: resetting the host now"
      printf b > "$SYSRQ"
    fi
  fi
  sleep "$INTERVAL" &
  wait $!
done
