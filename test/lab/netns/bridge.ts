/**
 * A provisioning LAN for virtual machines inside the test's network namespaces: a bridge in the
 * client namespace joining the veth from the server namespace and tap devices for QEMU
 * (`-netdev tap,ifname=<tap>,script=no,downscript=no`, run inside the client namespace).
 *
 *   server ns: veth-srv 198.18.x.1 (boot services)  <-veth->  client ns: br0 [veth-cli, tap0, ...]
 *
 * Nothing is created outside the two namespaces; the bridge and taps go away with them
 * (`pair.destroy()`), once the QEMU processes holding the taps are gone.
 */
import { run, type NetnsPair } from './netns.js';

export interface ClientBridge {
  bridge: string;
  taps: string[];
}

async function ipIn(ns: string, args: string[]): Promise<void> {
  const r = await run('ip', ['-n', ns, ...args]);
  if (r.code !== 0) throw new Error(`ip -n ${ns} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
}

/** Adds a bridge with the client end of the veth and `taps` tap devices to the client namespace. */
export async function addClientBridge(pair: NetnsPair, opts: { taps?: string[]; bridge?: string } = {}): Promise<ClientBridge> {
  const bridge = opts.bridge ?? 'br0';
  const taps = opts.taps ?? ['tap0'];
  const ns = pair.clientNs;
  // No STP and no forwarding delay: a port forwards as soon as it is up (a PXE ROM does not wait).
  await ipIn(ns, ['link', 'add', bridge, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
  await ipIn(ns, ['link', 'set', pair.clientIf, 'master', bridge]);
  for (const tap of taps) {
    await ipIn(ns, ['tuntap', 'add', 'dev', tap, 'mode', 'tap']);
    await ipIn(ns, ['link', 'set', tap, 'master', bridge]);
    await ipIn(ns, ['link', 'set', tap, 'up']);
  }
  await ipIn(ns, ['link', 'set', bridge, 'up']);
  return { bridge, taps };
}
