/**
 * What a host's self-fence agent counts as contact with its cluster, played on 127.0.0.1 and
 * logged: a controller that answers HTTP (any path, 200), and a peer host that accepts TCP. Each
 * keeps the Date.now() of every answer so a test can tell when the host's last contact was.
 * stop() closes the listener and every open connection: from then on nothing answers.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';

export interface ContactListener {
  readonly port: number;
  /** Date.now() of each answer, in order. */
  answers(): number[];
  stop(): Promise<void>;
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  return typeof addr === 'object' && addr ? addr.port : port;
}

function listener(server: Server, port: number, answers: number[], sockets: Set<Socket>): ContactListener {
  let stopped: Promise<void> | undefined;
  return {
    port,
    answers: () => [...answers],
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return stopped;
    },
  };
}

/** A controller's /health: every request answered 200. Port 0 picks a free one. */
export async function startControllerStandIn(port = 0): Promise<ContactListener> {
  const answers: number[] = [];
  const sockets = new Set<Socket>();
  const server = createHttpServer((req, res) => {
    res.once('finish', () => answers.push(Date.now()));
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' }).end('ok\n');
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  return listener(server, await listen(server, port), answers, sockets);
}

/** A peer host's sshd port: it accepts, and the agent only needs the accept. */
export async function startPeerStandIn(port = 0): Promise<ContactListener> {
  const answers: number[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((s) => {
    answers.push(Date.now());
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => {
      // the agent closes at once; a reset is not an error here
    });
    s.end();
  });
  return listener(server, await listen(server, port), answers, sockets);
}
