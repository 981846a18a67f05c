/** Binding a UDP socket as a promise; a bind failure closes the socket and rejects. */
import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIPv4 } from 'node:net';

export interface UdpOptions {
  reuseAddr?: boolean;
  /**
   * SO_RCVBUF in bytes (Linux caps it at net.core.rmem_max). The kernel drops datagrams that
   * arrive while the queue is full, e.g. during a garbage-collection pause under a burst.
   */
  recvBufferSize?: number;
}

/**
 * Our sockets send to IPv4 literals (a client's source address, a relay, broadcast): answering
 * a literal as it is spares dns.lookup and its extra tick on every datagram sent. Anything else
 * (a configured bind name) still goes through dns.lookup.
 */
function literalFirst(address: string, family: number, cb: (err: Error | null, address: string, family: number) => void): void {
  if (isIPv4(address)) cb(null, address, 4);
  else dns.lookup(address, family, cb);
}

export function bindUdp(address: string, port: number, opts: UdpOptions = {}): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({
      type: 'udp4',
      reuseAddr: opts.reuseAddr ?? false,
      recvBufferSize: opts.recvBufferSize,
      lookup: literalFirst as unknown as dgram.SocketOptions['lookup'],
    });
    const onError = (e: Error) => {
      s.close();
      reject(e);
    };
    s.once('error', onError);
    s.bind(port, address, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}
