/**
 * The phases of one network boot, read from the boot services' milestones (pure; pinned by
 * test/unit/bench-lab-steps/pxe-phases.test.ts). All times are seconds from `t0`, the moment the
 * machine was started; milestones of other hosts or from before `t0` are ignored.
 */
import type { BootMilestone } from '../../src/drivers/pxe/index.js';

export interface PxePhases {
  /** The first DHCP ack (the firmware's, or iPXE's when the NIC ROM is iPXE). */
  firstAck?: number;
  /** The HTTP request for the per-host install script (`install script <mac>`). */
  script?: number;
  /** The last DHCP ack before the script request: the ack that handed out the script URL. */
  ackBeforeScript?: number;
  /** First TFTP transfer of the boot binary: start and done (firmware PXE only). */
  tftpStart?: number;
  tftpDone?: number;
}

const isScript = (m: BootMilestone) => m.name === 'http' && (m.detail ?? '').startsWith('install script');

export function pxePhases(milestones: readonly BootMilestone[], host: string, t0: number): PxePhases {
  const ms = milestones.filter((m) => m.host === host && m.at >= t0).sort((a, b) => a.at - b.at);
  const s = (m: BootMilestone | undefined) => (m ? (m.at - t0) / 1000 : undefined);
  const script = ms.find(isScript);
  const acks = ms.filter((m) => m.name === 'dhcp');
  const tftpStart = ms.find((m) => m.name === 'tftp' && (m.detail ?? '').startsWith('start'));
  const tftpDone = ms.find((m) => m.name === 'tftp' && (m.detail ?? '').startsWith('done'));
  const phases: PxePhases = {};
  const set = <K extends keyof PxePhases>(k: K, v: number | undefined) => {
    if (v !== undefined) phases[k] = v;
  };
  set('firstAck', s(acks[0]));
  set('script', s(script));
  set('ackBeforeScript', s(script ? acks.filter((a) => a.at <= script.at).at(-1) : undefined));
  set('tftpStart', s(tftpStart));
  set('tftpDone', s(tftpDone && tftpStart && tftpDone.at >= tftpStart.at ? tftpDone : undefined));
  return phases;
}
