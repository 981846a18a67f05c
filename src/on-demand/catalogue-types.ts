/**
 * What a user can ask for (the catalogue, from the config) and the contract between the request
 * service (src/on-demand) and the machine-image tools (src/on-demand/images).
 */

/** An OS a user can ask for: a base disk to overlay, or an install from scratch over PXE/kickstart. */
export type OsEntry =
  | {
      name: string;
      description: string;
      kind: 'image';
      /** Base disk on shared storage; never written (every machine gets a copy-on-write overlay). */
      baseImage: string;
      format: 'qcow2' | 'raw';
    }
  | {
      name: string;
      description: string;
      kind: 'install';
      /** Kickstart/preseed template under kickstart/ rendered by the PXE path. */
      kickstartTemplate: string;
    };

/** Middleware and applications: packages plus first-boot commands, in order. */
export interface MiddlewareRecipe {
  name: string;
  description: string;
  packages: string[];
  firstBoot: string[];
}

export interface Catalogue {
  os: OsEntry[];
  middleware: MiddlewareRecipe[];
}

/** What the first boot of a lent machine must know (rendered into a NoCloud seed or a kickstart). */
export interface FirstBootData {
  /** Stable per request so a re-render after a restart gives the same seed. */
  instanceId: string;
  hostname: string;
  owner: string;
  sshAuthorizedKeys: string[];
  middleware: MiddlewareRecipe[];
  /** A static address (onDemand.addresses); absent: the image's own network setup (DHCP). */
  network?: {
    /** `a.b.c.d/nn` */
    address: string;
    gateway?: string;
    dns?: string[];
  };
}

export interface EraseReport {
  overlayPath: string;
  /** 'overwrite': zeroed then deleted; 'discard': deleted; 'absent': nothing was there. */
  method: 'overwrite' | 'discard' | 'absent';
  bytesOverwritten: number;
}
