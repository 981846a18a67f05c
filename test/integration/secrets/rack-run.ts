/**
 * Child process of no-secrets.test.ts: a real rack (ipmi_sim, sshd, libvirt test:///) with the
 * controller's log at trace level on stdout, through one fence of hv1 (ipmitool with the BMC
 * password, ssh with the key). Writes every argv the controller spawned and the configured
 * secrets to the JSON file named by RRC_SECRETS_OUT, so the parent can scan both.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { observeSpawns } from '../../../src/drivers/exec.js';
import { fenceRackOptions, settled, startRack, until } from '../../lab/e2e-rack.js';

export interface RackRunResult {
  argv: string[][];
  secrets: string[];
  fenced: boolean;
}

const out = process.env.RRC_SECRETS_OUT;
if (!out) throw new Error('RRC_SECRETS_OUT is not set');

const argv: string[][] = [];
const stopObserving = observeSpawns((file, args) => argv.push([file, ...args]));
const rack = await startRack(fenceRackOptions());
let fenced = false;
try {
  const secrets: string[] = [];
  for (const h of rack.hosts.values()) {
    secrets.push(h.sim.password);
    if (h.sshd) secrets.push(await readFile(h.sshd.userKeyPath, 'utf8'));
  }
  if (await settled(rack)) {
    await rack.host('hv1').sshd!.stop();
    fenced = await until(() => rack.host('hv1').sim.calls().includes('power 0'), 30_000);
  }
  const result: RackRunResult = { argv, secrets, fenced };
  await writeFile(out, JSON.stringify(result));
} finally {
  stopObserving();
  await rack.cleanup();
}
