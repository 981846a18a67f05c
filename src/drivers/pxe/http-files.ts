/**
 * Static files (kernel, initrd, images) with single-range HTTP Range support (RFC 9110 14),
 * without adding @fastify/static. Multi-range requests get the whole file (200), which the RFC
 * allows; an unsatisfiable range gets 416 with `Content-Range: bytes * /size`.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { JailError, OPEN_READ_NOFOLLOW, resolveInRoot } from './path-jail.js';

export type RangeResult = { start: number; end: number } | 'none' | 'unsatisfiable';

/** Parses one `bytes=` range against `size`; anything it does not understand is 'none' (full file). */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return 'none';
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return 'none'; // multi-range or another unit
  const [, a, b] = m as unknown as [string, string, string];
  if (a === '' && b === '') return 'none';
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  if (!Number.isSafeInteger(start) || start >= size) return 'unsatisfiable';
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (!Number.isSafeInteger(end) || end < start) return b !== '' && Number(b) < start ? 'none' : 'unsatisfiable';
  return { start, end };
}

export async function sendFile(req: FastifyRequest, reply: FastifyReply, rootReal: string, name: string): Promise<FastifyReply> {
  let path: string;
  try {
    path = (await resolveInRoot(rootReal, name)).path;
  } catch (e) {
    if (e instanceof JailError) return reply.code(e.violation && e.reason !== 'not-file' ? 403 : 404).send({ error: e.reason });
    throw e;
  }
  const fh = await open(path, OPEN_READ_NOFOLLOW).catch(() => undefined);
  if (!fh) return reply.code(404).send({ error: 'not-found' });
  const st = await fh.stat();
  const size = st.size;
  const range = parseRange(req.headers.range, size);
  reply.header('accept-ranges', 'bytes').header('content-type', 'application/octet-stream');
  reply.header('last-modified', st.mtime.toUTCString());
  if (range === 'unsatisfiable') {
    await fh.close();
    return reply.code(416).header('content-range', `bytes */${size}`).send();
  }
  const { start, end } = range === 'none' ? { start: 0, end: size - 1 } : range;
  if (range !== 'none') reply.code(206).header('content-range', `bytes ${start}-${end}/${size}`);
  reply.header('content-length', String(Math.max(0, end - start + 1)));
  if (req.method === 'HEAD' || size === 0) {
    await fh.close();
    return reply.send();
  }
  // The stream owns the handle from here and closes it when done or destroyed.
  return reply.send(createReadStream('', { fd: fh, start, end, autoClose: true }));
}
