/**
 * One receiver's delivery queue: notifications go out one at a time, in publishing order; the one
 * at the head is retried with backoff until it is taken or its attempts run out, then it goes to
 * the dead-letter store and the next one starts. The queue is bounded: when it is full the oldest
 * waiting notification goes to the dead-letter store, so a dead receiver costs bounded memory.
 * Enqueueing never waits and never throws: the controller only hands over.
 */
import type { Clock, Logger } from '../env/env.js';
import { errorText } from '../errors.js';
import type { DeadLetterRecord } from '../store/types.js';
import { retryDelayMs } from './backoff.js';
import type { SendWebhook } from './post-webhook.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from './signing.js';
import type { Notification, WebhookReceiverConfig } from './types.js';

export interface ReceiverQueueDeps {
  receiver: WebhookReceiverConfig;
  clock: Clock;
  log: Logger;
  resolveSecret: (ref: string) => Promise<string>;
  send: SendWebhook;
  addDeadLetter: (rec: DeadLetterRecord) => Promise<void>;
  /** [0, 1), for the jitter. */
  random?: () => number;
  /** Each delivery's end, for the metrics. */
  onOutcome?: (receiver: string, outcome: 'delivered' | 'dead-letter') => void;
}

interface Entry {
  notification: Notification;
  body: string;
  attempts: number;
  lastError: string;
}

export interface ReceiverQueueStats {
  waiting: number;
  delivered: number;
  deadLettered: number;
  attempts: number;
}

export class ReceiverQueue {
  private readonly waiting: Entry[] = [];
  /** The notification being sent or waiting for its retry. */
  private head: Entry | null = null;
  private retryTimer: unknown = null;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly counts = { delivered: 0, deadLettered: 0, attempts: 0 };
  private readonly deadLetterWrites = new Set<Promise<void>>();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly deps: ReceiverQueueDeps) {}

  get name(): string {
    return this.deps.receiver.name;
  }

  wants(n: Notification): boolean {
    const events = this.deps.receiver.events;
    return events === undefined || events.includes(n.type);
  }

  enqueue(notification: Notification): void {
    if (this.stopped) return;
    if (this.waiting.length >= this.deps.receiver.queueSize) {
      const oldest = this.waiting.shift() as Entry;
      this.deadLetter(oldest, `queue full (${this.deps.receiver.queueSize} waiting): dropped unsent`);
    }
    this.waiting.push({ notification, body: JSON.stringify(notification), attempts: 0, lastError: '' });
    this.next();
  }

  stats(): ReceiverQueueStats {
    return { waiting: this.waiting.length + (this.head ? 1 : 0), ...this.counts };
  }

  /** Resolves when nothing is waiting or in flight and every dead letter is written. */
  async idle(): Promise<void> {
    if (this.head || this.waiting.length > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    await Promise.all([...this.deadLetterWrites]);
  }

  /** Stops sending; what was not delivered goes to the dead-letter store. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    if (this.retryTimer !== null) this.deps.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const left = [...(this.head ? [this.head] : []), ...this.waiting.splice(0)];
    this.head = null;
    for (const e of left) this.deadLetter(e, `not delivered before the controller stopped${e.lastError ? ` (last error: ${e.lastError})` : ''}`);
    this.wakeIdle();
    await Promise.all([...this.deadLetterWrites]);
  }

  private next(): void {
    if (this.stopped || this.head) return;
    const entry = this.waiting.shift();
    if (!entry) return this.wakeIdle();
    this.head = entry;
    void this.attempt(entry);
  }

  private async attempt(entry: Entry): Promise<void> {
    const { receiver, clock } = this.deps;
    entry.attempts++;
    this.counts.attempts++;
    try {
      const secret = await this.deps.resolveSecret(receiver.secretRef);
      const { timestamp, signature } = signBody(entry.body, secret, clock.now());
      await this.deps.send({
        url: receiver.url,
        body: entry.body,
        timeoutMs: receiver.timeoutSeconds * 1000,
        signal: this.abort.signal,
        headers: {
          'content-type': 'application/json',
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: signature,
          [EVENT_HEADER]: entry.notification.type,
          [DELIVERY_HEADER]: entry.notification.id,
        },
      });
    } catch (e) {
      if (this.stopped) return;
      entry.lastError = errorText(e);
      const wait = retryDelayMs(entry.attempts, receiver.retry, this.deps.random);
      if (wait !== null) {
        this.deps.log.debug({ receiver: receiver.name, notification: entry.notification.id, attempt: entry.attempts, error: entry.lastError, retryInMs: wait }, 'webhook not delivered: will retry');
        this.retryTimer = clock.setTimeout(() => {
          this.retryTimer = null;
          if (!this.stopped) void this.attempt(entry);
        }, wait);
        return;
      }
      this.deadLetter(entry, entry.lastError);
      this.head = null;
      return this.next();
    }
    if (this.stopped) return;
    this.counts.delivered++;
    this.deps.onOutcome?.(receiver.name, 'delivered');
    this.head = null;
    this.next();
  }

  private deadLetter(entry: Entry, reason: string): void {
    const { receiver, clock, log } = this.deps;
    this.counts.deadLettered++;
    this.deps.onOutcome?.(receiver.name, 'dead-letter');
    log.warn({ receiver: receiver.name, notification: entry.notification.id, type: entry.notification.type, attempts: entry.attempts, reason }, 'webhook given up: dead letter');
    const write = this.deps
      .addDeadLetter({
        receiver: receiver.name,
        url: receiver.url,
        notificationId: entry.notification.id,
        type: entry.notification.type,
        sequence: entry.notification.sequence,
        payload: entry.body,
        attempts: entry.attempts,
        lastError: reason,
        failedAt: clock.now(),
      })
      .catch((e: unknown) => log.error({ receiver: receiver.name, notification: entry.notification.id, error: errorText(e) }, 'dead letter not written'));
    this.deadLetterWrites.add(write);
    void write.finally(() => this.deadLetterWrites.delete(write));
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
