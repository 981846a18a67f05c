/** Binding a UDP socket as a promise; a bind failure closes the socket and rejects. */
import dgram from 'node:dgram';

export function bindUdp(address: string, port: number, reuseAddr = false): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type: 'udp4', reuseAddr });
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
