/** The OFFER / ACK (or INFORM's ACK) a DhcpServer sends: the options in the order clients have always seen. */
import type { selectBootFile } from './boot-select.js';
import { ipToBytes, MSG, OPT, optIps, optText, optU32, optU8, type DhcpReply } from './dhcp-codec.js';
import type { DhcpHost } from './dhcp-server.js';

/** The server settings a reply carries. */
export interface ReplySettings {
  address: string;
  netmask: string;
  router?: string;
  dns?: string[];
  domain?: string;
  leaseSeconds: number;
  nextServer: string;
}

export function buildOfferAck(
  o: ReplySettings,
  req: { xid: number; flags: number; giaddr: string; ciaddr: string; inform: boolean },
  host: DhcpHost,
  type: typeof MSG.OFFER | typeof MSG.ACK,
  boot: ReturnType<typeof selectBootFile>,
): DhcpReply {
  const options: Array<[number, Buffer]> = [
    [OPT.MSG_TYPE, optU8(type)],
    [OPT.SERVER_ID, ipToBytes(o.address)],
  ];
  const inform = req.inform;
  if (!inform) {
    const lease = o.leaseSeconds;
    options.push([OPT.LEASE_TIME, optU32(lease)], [OPT.T1, optU32(Math.floor(lease / 2))], [OPT.T2, optU32(Math.floor((lease * 7) / 8))]);
  }
  options.push([OPT.SUBNET_MASK, ipToBytes(host.netmask ?? o.netmask)]);
  const router = host.router ?? o.router;
  if (router) options.push([OPT.ROUTER, optIps([router])]);
  if (o.dns?.length) options.push([OPT.DNS, optIps(o.dns)]);
  if (host.hostname) options.push([OPT.HOSTNAME, optText(host.hostname)]);
  if (o.domain) options.push([OPT.DOMAIN, optText(o.domain)]);
  if (boot) {
    options.push([OPT.TFTP_SERVER, optText(o.nextServer)], [OPT.BOOTFILE, optText(boot.file)]);
    // No option 60 "PXEClient" without option 43: EDK2 (OVMF, most UEFI servers) then asks a
    // boot server on UDP 4011 and fails with PXE-E16. The boot file alone is what PXE needs.
  }
  return {
    xid: req.xid,
    flags: req.flags,
    ciaddr: inform ? req.ciaddr : '0.0.0.0',
    yiaddr: inform ? '0.0.0.0' : host.ip,
    siaddr: boot ? o.nextServer : '0.0.0.0',
    giaddr: req.giaddr,
    chaddr: host.mac,
    file: boot && boot.file.length < 128 ? boot.file : '',
    options,
  };
}
