/**
 * GET /api/v1/events: server-sent events for the dashboard. Each message is a small `changed`
 * signal (coalesced by the ChangeFeed, at most one per 250 ms) and the page refetches the one
 * snapshot; a comment line every 15 s keeps proxies from closing an idle stream.
 *
 * Authentication: the same bearer token as every other route, checked by the auth hook before
 * this handler runs. The page reads the stream with fetch() (which can send the Authorization
 * header) rather than EventSource (which cannot): a token in a query string would end up in
 * access logs, browser history and Referer headers.
 *
 * Bounded: a client that does not read (its socket buffer above MAX_BUFFERED bytes) is cut off,
 * never buffered for; signals are idempotent, so a blocked writer drops them; streams per
 * instance are capped; every listener and timer goes when the client does or the app closes.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { RrcError } from '../../errors.js';
import { ChangeFeed } from '../dashboard/change-feed.js';
import { errorResponses } from '../schemas/common.js';
import type { RouteOptions } from '../types.js';

export const EVENTS_PATH = '/api/v1/events';
export const KEEPALIVE_MS = 15_000;
/** Bytes a slow client may leave unread before it is cut off. */
const MAX_BUFFERED = 64 * 1024;
const MAX_STREAMS = 64;

export interface EventsStreamOptions extends RouteOptions {
  /** Tests shorten these. */
  keepAliveMs?: number;
  coalesceMs?: number;
}

export const eventsStreamRoutes: FastifyPluginAsyncZod<EventsStreamOptions> = async (app, opts) => {
  const feed = new ChangeFeed(opts.controller, { coalesceMs: opts.coalesceMs ?? 250 });
  const streams = new Set<ServerResponse>();
  const keepAliveMs = opts.keepAliveMs ?? KEEPALIVE_MS;

  // Hijacked responses are not tracked by fastify: end them before the server waits for its connections.
  app.addHook('preClose', async () => {
    feed.close();
    for (const res of streams) res.end();
    streams.clear();
  });

  app.get(
    EVENTS_PATH,
    {
      schema: {
        tags: ['dashboard'],
        summary: 'Server-sent events: a `changed` event whenever the dashboard snapshot may have changed (refetch it)',
        response: { 200: z.string().describe('text/event-stream'), ...errorResponses },
      },
    },
    async (req, reply) => {
      if (streams.size >= MAX_STREAMS) throw new RrcError('RRC_ERR_INVALID_STATE', `${MAX_STREAMS} event streams are open; close one`);
      const res = reply.raw;
      reply.hijack();
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      streams.add(res);
      const send = (text: string): void => {
        if (res.writableLength > MAX_BUFFERED) {
          res.destroy();
          return;
        }
        // A false return means the kernel buffer is full: the next signal says the same, drop it.
        if (!res.writableNeedDrain) res.write(text);
      };
      // The first message tells the page it is connected (and refetches whatever it missed while not).
      send(`retry: 3000\nevent: hello\ndata: ${JSON.stringify({ keepAliveMs })}\n\n`);
      const stopListening = feed.listen((seq) => send(`id: ${seq}\nevent: changed\ndata: {}\n\n`));
      const keepAlive = setInterval(() => send(`: keep-alive\n\n`), keepAliveMs);
      keepAlive.unref?.();
      const cleanup = (): void => {
        clearInterval(keepAlive);
        stopListening();
        streams.delete(res);
      };
      res.on('close', cleanup);
      req.raw.on('close', cleanup);
    },
  );
};
