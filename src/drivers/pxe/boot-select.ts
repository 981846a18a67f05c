/**
 * Which boot file a DHCP client gets, from what it says about itself.
 * iPXE (option 77 "iPXE") gets the HTTP URL of its per-host script, so a ROM that chain-loads
 * iPXE over TFTP does not loop; firmware PXE gets the iPXE binary for its architecture (option 93,
 * RFC 4578, or the `PXEClient:Arch:xxxxx` vendor class); anything else gets no boot file.
 */
import { macForUrl } from './dhcp-codec.js';

export type ClientKind = 'ipxe' | 'bios' | 'efi-x64' | 'efi-arm64' | 'pxe-unsupported' | 'plain';

export interface BootFileNames {
  /** Legacy BIOS PXE (arch 0). */
  bios: string;
  /** UEFI x64 (arch 7 and 9). */
  efiX64: string;
  /** UEFI ARM64 (arch 11); no file when not configured. */
  efiArm64?: string;
}

export const DEFAULT_BOOT_FILES: BootFileNames = { bios: 'undionly.kpxe', efiX64: 'ipxe.efi' };

export interface ClientFacts {
  userClasses: readonly string[];
  clientArch: readonly number[];
  vendorClass?: string;
}

export interface ClientClass {
  kind: ClientKind;
  arch?: number;
}

export function classifyClient(c: ClientFacts): ClientClass {
  if (c.userClasses.includes('iPXE')) return { kind: 'ipxe', arch: c.clientArch[0] };
  let arch = c.clientArch[0];
  const vendorPxe = c.vendorClass?.startsWith('PXEClient') ?? false;
  if (arch === undefined && vendorPxe) {
    const m = /^PXEClient:Arch:(\d{5})/.exec(c.vendorClass ?? '');
    arch = m ? Number(m[1]) : 0; // PXE 2.x clients without option 93 are BIOS
  }
  if (arch === undefined) return { kind: 'plain' };
  switch (arch) {
    case 0:
      return { kind: 'bios', arch };
    case 7:
    case 9:
      return { kind: 'efi-x64', arch };
    case 11:
      return { kind: 'efi-arm64', arch };
    default:
      return { kind: 'pxe-unsupported', arch };
  }
}

export interface BootChoice {
  /** File name for TFTP clients, full URL for iPXE. */
  file: string;
  /** True when the file is fetched over TFTP from next-server (siaddr / option 66). */
  tftp: boolean;
}

/**
 * The boot file for a client, or undefined (no option 66/67) when netboot is off for the MAC,
 * the client is not a PXE client, or its architecture has no configured binary.
 */
export function selectBootFile(
  cls: ClientClass,
  opts: { mac: string; netboot: boolean; files: BootFileNames; httpBase: string },
): BootChoice | undefined {
  if (!opts.netboot) return undefined;
  switch (cls.kind) {
    case 'ipxe':
      return { file: `${opts.httpBase}/boot/${macForUrl(opts.mac)}.ipxe`, tftp: false };
    case 'bios':
      return { file: opts.files.bios, tftp: true };
    case 'efi-x64':
      return { file: opts.files.efiX64, tftp: true };
    case 'efi-arm64':
      return opts.files.efiArm64 ? { file: opts.files.efiArm64, tftp: true } : undefined;
    default:
      return undefined;
  }
}
