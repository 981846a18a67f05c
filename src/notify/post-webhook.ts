/**
 * One webhook request: POST the signed body, give up after the receiver's timeout (AbortSignal),
 * anything but a 2xx is a failure. Redirects are not followed (a signed body goes where it was told).
 */
import { errorText } from '../errors.js';

export interface WebhookRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Aborted when the notifier stops. */
  signal?: AbortSignal;
}

/** Resolves when the receiver took it; rejects with a one-line reason otherwise. */
export type SendWebhook = (req: WebhookRequest) => Promise<void>;

export const postWebhook: SendWebhook = async (req) => {
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
  let res: Response;
  try {
    res = await fetch(req.url, { method: 'POST', body: req.body, headers: req.headers, signal, redirect: 'manual' });
  } catch (e) {
    if (timeout.aborted) throw new Error(`no answer within ${req.timeoutMs} ms`, { cause: e });
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(cause?.code ?? cause?.message ?? errorText(e), { cause: e });
  }
  // The answer's body is not read: release the connection.
  await res.body?.cancel().catch(() => undefined);
  if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status}`);
};
