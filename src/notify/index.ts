/** Webhook notifications: signed, retried with backoff, in order per receiver, dead-lettered at the end. */
export { retryDelayMs, retryDelays } from './backoff.js';
export { controllerNotifications, watchStormGuard } from './controller-notifications.js';
export { Notifier, type NotificationPublisher, type NotifierDeps } from './notifier.js';
export { startNotifications, type NotificationsDeps, type RunningNotifications } from './start-notifications.js';
export { postWebhook, type SendWebhook, type WebhookRequest } from './post-webhook.js';
export { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER, verifySignature, type Verification } from './signing.js';
export { DEFAULT_RETRY, NOTIFICATION_TYPES, type Notification, type NotificationInput, type NotificationType, type RetrySchedule, type WebhookReceiverConfig } from './types.js';
