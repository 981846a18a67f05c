/**
 * The shipped host watchdog agent's defaults (kickstart/rrc-watchdog.sh; a test keeps the two in
 * step) and the two numbers that follow from them: the lease a host declares in its install
 * callback, and the latest its watchdog resets it after it lost contact (what the bench models).
 */
export const WATCHDOG_AGENT_DEFAULTS = {
  /** Device timeout: a host not fed this long is reset. */
  timeoutSeconds: 45,
  /** Seconds between two contact checks (and feeds). */
  intervalSeconds: 5,
  /** The longest one contact check may take. */
  checkTimeoutSeconds: 3,
} as const;

export type WatchdogAgentSettings = { [K in keyof typeof WATCHDOG_AGENT_DEFAULTS]: number };

/** Declared lease: the last feed is at most one interval and one check after the controller's last contact. */
export function agentLeaseSeconds(s: WatchdogAgentSettings = WATCHDOG_AGENT_DEFAULTS): number {
  return s.timeoutSeconds + s.intervalSeconds + s.checkTimeoutSeconds;
}

/** From the moment a host loses contact: a check already under way may still feed once, then the timeout runs. */
export function agentResetAfterContactLossSeconds(s: WatchdogAgentSettings = WATCHDOG_AGENT_DEFAULTS): number {
  return s.timeoutSeconds + s.checkTimeoutSeconds;
}
