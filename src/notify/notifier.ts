/**
 * The notifier: numbers each published notification and hands it to the queue of every receiver
 * that wants its type. publish() only enqueues (no I/O, no await, never throws), so a slow or dead
 * receiver cannot hold up the caller (the controller's event loop, the on-demand service).
 */
import { randomUUID } from 'node:crypto';
import type { Clock, Logger } from '../env/env.js';
import { errorText } from '../errors.js';
import type { DeadLetterRecord } from '../store/types.js';
import { postWebhook, type SendWebhook } from './post-webhook.js';
import { ReceiverQueue, type ReceiverQueueStats } from './receiver-queue.js';
import type { Notification, NotificationInput, WebhookReceiverConfig } from './types.js';

export interface NotifierDeps {
  receivers: WebhookReceiverConfig[];
  clock: Clock;
  log: Logger;
  resolveSecret: (ref: string) => Promise<string>;
  addDeadLetter: (rec: DeadLetterRecord) => Promise<void>;
  /** Default: an HTTP POST (post-webhook.ts). */
  send?: SendWebhook;
  random?: () => number;
  onOutcome?: (receiver: string, outcome: 'delivered' | 'dead-letter') => void;
}

/** What other services call: the on-demand service publishes its expiry warnings through it. */
export interface NotificationPublisher {
  publish(input: NotificationInput): Notification | null;
}

export class Notifier implements NotificationPublisher {
  private sequence = 0;
  private readonly queues: ReceiverQueue[];
  private readonly listeners = new Set<(n: Notification) => void>();

  constructor(private readonly deps: NotifierDeps) {
    const log = deps.log.child({ component: 'notify' });
    this.queues = deps.receivers.map(
      (receiver) =>
        new ReceiverQueue({
          receiver,
          clock: deps.clock,
          log,
          resolveSecret: deps.resolveSecret,
          send: deps.send ?? postWebhook,
          addDeadLetter: deps.addDeadLetter,
          ...(deps.random ? { random: deps.random } : {}),
          ...(deps.onOutcome ? { onOutcome: deps.onOutcome } : {}),
        }),
    );
  }

  /** Numbers, stamps and enqueues; null only when the input cannot be serialized (logged). */
  publish(input: NotificationInput): Notification | null {
    const n: Notification = {
      id: randomUUID(),
      type: input.type,
      time: new Date(input.at ?? this.deps.clock.now()).toISOString(),
      sequence: ++this.sequence,
      data: input.data,
    };
    try {
      JSON.stringify(n);
    } catch (e) {
      this.deps.log.error({ type: input.type, error: errorText(e) }, 'notification not serializable: not sent');
      return null;
    }
    for (const q of this.queues) if (q.wants(n)) q.enqueue(n);
    for (const l of this.listeners) l(n);
    return n;
  }

  /** Every published notification (tests, the dashboard); returns the function that removes it. */
  onPublish(listener: (n: Notification) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): Record<string, ReceiverQueueStats> {
    return Object.fromEntries(this.queues.map((q) => [q.name, q.stats()]));
  }

  /** Resolves when every queue is empty (delivered or dead-lettered). */
  async idle(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.idle()));
  }

  /** Stops sending; what is left goes to the dead-letter store. */
  async stop(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.stop()));
  }
}
