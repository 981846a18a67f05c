/**
 * The notifier wired to a controller: its events and its storm guard become notifications, and
 * the dead letters go to the store. The service calls this once; stop() after the controller's.
 */
import type { ControllerEvent } from '../controller/controller-events.js';
import type { ControllerHealth } from '../controller/types.js';
import type { Clock, Logger } from '../env/env.js';
import type { DeadLetterRecord } from '../store/types.js';
import { controllerNotifications, watchStormGuard } from './controller-notifications.js';
import { Notifier } from './notifier.js';
import type { SendWebhook } from './post-webhook.js';
import type { WebhookReceiverConfig } from './types.js';

export interface NotificationsDeps {
  controller: { onEvent(listener: (e: ControllerEvent) => void): () => void; health(): Promise<ControllerHealth> };
  receivers: WebhookReceiverConfig[];
  clock: Clock;
  log: Logger;
  resolveSecret: (ref: string) => Promise<string>;
  store: { addDeadLetter(rec: DeadLetterRecord): Promise<void> };
  /** How often the storm guard is looked at (the probe interval). */
  stormGuardEveryMs: number;
  send?: SendWebhook;
  random?: () => number;
  onOutcome?: (receiver: string, outcome: 'delivered' | 'dead-letter') => void;
}

export interface RunningNotifications {
  notifier: Notifier;
  stop(): Promise<void>;
}

export function startNotifications(deps: NotificationsDeps): RunningNotifications {
  const notifier = new Notifier({
    receivers: deps.receivers,
    clock: deps.clock,
    log: deps.log,
    resolveSecret: deps.resolveSecret,
    addDeadLetter: (rec) => deps.store.addDeadLetter(rec),
    ...(deps.send ? { send: deps.send } : {}),
    ...(deps.random ? { random: deps.random } : {}),
    ...(deps.onOutcome ? { onOutcome: deps.onOutcome } : {}),
  });
  const publish = notifier.publish.bind(notifier);
  const off = deps.controller.onEvent(controllerNotifications(publish));
  // Without a receiver nobody hears the guard: no polling.
  const stopWatch =
    deps.receivers.length > 0
      ? watchStormGuard({ health: () => deps.controller.health(), clock: deps.clock, log: deps.log, everyMs: deps.stormGuardEveryMs, publish })
      : () => undefined;
  return {
    notifier,
    async stop() {
      off();
      stopWatch();
      await notifier.stop();
    },
  };
}
