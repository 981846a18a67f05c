/* global sessionStorage, TextDecoderStream */
// The page's only ways to the controller: JSON calls and the change stream, all with the bearer token.

const TOKEN_KEY = '3rc.dashboard.token';

export const tokenStore = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (t) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function headers(extra = {}) {
  return { authorization: `Bearer ${tokenStore.get() ?? ''}`, ...extra };
}

export async function api(path, { method = 'GET', body, signal } = {}) {
  const res = await fetch(path, {
    method,
    cache: 'no-store',
    signal,
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data?.error ?? 'HTTP', data?.message ?? `${res.status} ${res.statusText}`);
  return data;
}

function parseBlock(block) {
  const ev = { event: 'message', data: '', comment: false };
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) ev.comment = true;
    else if (line.startsWith('event:')) ev.event = line.slice(6).trim();
    else if (line.startsWith('data:')) ev.data += line.slice(5).trim();
  }
  return ev;
}

/**
 * Reads GET /api/v1/events with fetch (EventSource cannot send the Authorization header) and calls
 * onEvent for each event, comments included (keep-alives). Resolves when the server ends the
 * stream; rejects on an HTTP error or when `signal` aborts it.
 */
export async function readEvents(onEvent, signal) {
  const res = await fetch('/api/v1/events', { headers: headers({ accept: 'text/event-stream' }), cache: 'no-store', signal });
  if (!res.ok) {
    const data = await res.json().catch(() => null);
    throw new ApiError(res.status, data?.error ?? 'HTTP', data?.message ?? `${res.status}`);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, '\n');
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      if (block) onEvent(parseBlock(block));
    }
    // A server never sends this much without a blank line: drop it rather than grow.
    if (buffer.length > 65536) buffer = '';
  }
}
