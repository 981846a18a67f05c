/**
 * What the controller tells people's tools (webhooks): the notification types, the payload every
 * receiver gets, and a receiver's settings as the config gives them.
 */

export const NOTIFICATION_TYPES = [
  'incident-opened',
  /** The incident moved to another rung of the ladder (a retry of the same rung is not one). */
  'incident-escalated',
  'incident-awaiting-operator',
  'incident-resolved',
  'incident-quarantined',
  'storm-guard-on',
  'storm-guard-off',
  /** A host-on-demand request is about to expire (published by the on-demand service). */
  'request-expiry-warning',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** What a publisher hands over; the notifier adds id, time and sequence. */
export interface NotificationInput {
  type: NotificationType;
  /** Epoch ms; default: the notifier's clock. */
  at?: number;
  data: Record<string, unknown>;
}

/** The JSON body of every webhook request. */
export interface Notification {
  /** Unique per notification (receivers use it to drop duplicates after a retry). */
  id: string;
  type: NotificationType;
  /** ISO-8601. */
  time: string;
  /** Grows by one per published notification (a receiver filtering types sees gaps). */
  sequence: number;
  data: Record<string, unknown>;
}

/** Exponential backoff between attempts of one delivery: initial x factor^(n-1), at most max, minus jitter. */
export interface RetrySchedule {
  /** Attempts in all, the first one included; then the notification goes to the dead-letter store. */
  maxAttempts: number;
  initialSeconds: number;
  maxSeconds: number;
  factor: number;
  /** Share of each delay taken away at random (0: none, 0.5: between half and the full delay). */
  jitter: number;
}

export const DEFAULT_RETRY: RetrySchedule = { maxAttempts: 6, initialSeconds: 2, maxSeconds: 300, factor: 2, jitter: 0.2 };

export interface WebhookReceiverConfig {
  name: string;
  url: string;
  /** A name declared under `secrets:` (env variable or file): the HMAC key, never in the config itself. */
  secretRef: string;
  /** Types sent to this receiver; absent: all of them. */
  events?: NotificationType[];
  timeoutSeconds: number;
  retry: RetrySchedule;
  /** Notifications waiting at most; when full the oldest waiting one goes to the dead-letter store. */
  queueSize: number;
}
