/** Builders of client DHCP packets for the PXE tests (our encoder with op = BOOTREQUEST). */
import { encodeReply, MSG, OPT, optText, optU8, ipToBytes } from '../../../src/drivers/pxe/dhcp-codec.js';

export interface ClientPacketOpts {
  type: number;
  mac: string;
  xid?: number;
  ciaddr?: string;
  giaddr?: string;
  requestedIp?: string;
  serverId?: string;
  arch?: number;
  vendorClass?: string;
  userClass?: string;
  extra?: Array<[number, Buffer]>;
}

export function clientPacket(o: ClientPacketOpts): Buffer {
  const options: Array<[number, Buffer]> = [[OPT.MSG_TYPE, optU8(o.type)]];
  if (o.requestedIp) options.push([OPT.REQUESTED_IP, ipToBytes(o.requestedIp)]);
  if (o.serverId) options.push([OPT.SERVER_ID, ipToBytes(o.serverId)]);
  if (o.arch !== undefined) options.push([OPT.CLIENT_ARCH, Buffer.from([o.arch >> 8, o.arch & 0xff])]);
  if (o.vendorClass) options.push([OPT.VENDOR_CLASS, optText(o.vendorClass)]);
  if (o.userClass) options.push([OPT.USER_CLASS, optText(o.userClass)]);
  options.push([OPT.PARAM_LIST, Buffer.from([1, 3, 6, 12, 15, 43, 60, 66, 67, 128, 129, 175, 203])]);
  options.push(...(o.extra ?? []));
  return encodeReply(
    { xid: o.xid ?? 0x1234abcd, flags: 0x8000, ciaddr: o.ciaddr, giaddr: o.giaddr, chaddr: o.mac, options },
    1,
  );
}

/** What iPXE's EFI build sent in the lab (LAB.md): arch 7, PXEClient vendor class, user class iPXE. */
export function ipxeEfiDiscover(mac: string): Buffer {
  return clientPacket({
    type: MSG.DISCOVER,
    mac,
    arch: 7,
    vendorClass: 'PXEClient:Arch:00007:UNDI:003010',
    userClass: 'iPXE',
    extra: [[175, Buffer.from([177, 5, 1, 0x80, 0x86, 0x10, 0x0e, 0xeb, 3, 1, 0, 0])]],
  });
}

/** Position of the first option byte (after the cookie). */
export const OPTIONS_OFFSET = 240;
