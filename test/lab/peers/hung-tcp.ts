/**
 * A hung peer: accepts TCP connections on 127.0.0.1 and never sends a byte.
 * Stands in for a host whose kernel still answers SYNs while userland is frozen.
 */
import { createServer, type Socket } from 'node:net';

export interface HungTcpServer {
  readonly port: number;
  /** Connections accepted so far. */
  accepted(): number;
  stop(): Promise<void>;
}

export function startHungTcpServer(): Promise<HungTcpServer> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createServer((s) => {
    count++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({
        port,
        accepted: () => count,
        stop: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
