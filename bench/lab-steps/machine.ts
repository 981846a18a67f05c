/** The machine a lab-steps run measured on: cores, CPU, load, and whether KVM could have been used. */
import { closeSync, constants, openSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import type { MachineInfo } from './report.js';

export function loadAvgNow(): number[] {
  return loadavg().map((x) => Math.round(x * 100) / 100);
}

/** /dev/kvm opens read-write (what QEMU's -accel kvm needs); false when absent or not allowed. */
export function kvmUsable(path = '/dev/kvm'): boolean {
  try {
    closeSync(openSync(path, constants.O_RDWR));
    return true;
  } catch {
    return false;
  }
}

export function machineInfo(loadAvgStart: number[]): MachineInfo {
  return {
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    kernel: release(),
    node: process.version,
    loadAvgStart,
    loadAvgEnd: loadAvgNow(),
    kvm: kvmUsable(),
    qemuAccel: 'tcg',
  };
}
