/** The `pxe:` section's boot service bounds in the YAML config: accepted, passed through, refused with the key path. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../src/config/index.js';

const yaml = (pxe: string) => `environment: { kind: real }\npxe:\n  address: 198.18.10.1\n  filesRoot: /srv/3rc/files\n${pxe}`;
const parse = (pxe: string) => parseConfig(yaml(pxe), 'lab.yaml', { env: {} });

function refusal(pxe: string): string {
  try {
    parse(pxe);
  } catch (e) {
    return (e as Error).message;
  }
  return assert.fail('expected the config to be refused');
}

describe('config: pxe boot service bounds', () => {
  it('accepts tftp, dhcp and the controller key, and hands them on as written', () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7kqC0vO1r8bBqJ4z5y2W8m0o3hA6sYb0pZ6t1xQ2aM 3rc@controller';
    const cfg = parse(
      `  tftp: { workers: 2, maxTransfers: 512, maxPerSource: 8 }\n  dhcp: { perMac: { burst: 4, refillSeconds: 2 }, maxTrackedMacs: 4096 }\n  controllerPublicKey: "${key}"\n`,
    );
    assert.deepEqual(cfg.pxe?.tftp, { workers: 2, maxTransfers: 512, maxPerSource: 8 });
    assert.deepEqual(cfg.pxe?.dhcp, { perMac: { burst: 4, refillSeconds: 2 }, maxTrackedMacs: 4096 });
    assert.equal(cfg.pxe?.controllerPublicKey, key);
    assert.equal(parse('  dhcp: { perMac: null }\n').pxe?.dhcp?.perMac, null, 'null turns the limit off');
    assert.equal(parse('').pxe?.tftp, undefined, 'absent: the drivers keep their defaults');
  });

  it('refuses bad values with the key path', () => {
    assert.match(refusal('  tftp: { maxTransfers: 16, maxPerSource: 32 }\n'), /pxe\.tftp\.maxPerSource: must not exceed maxTransfers \(16\)/);
    assert.match(refusal('  tftp: { maxPerSource: 300 }\n'), /pxe\.tftp\.maxPerSource: must not exceed maxTransfers \(256\)/);
    assert.match(refusal('  tftp: { workers: -1 }\n'), /pxe\.tftp\.workers/);
    assert.match(refusal('  tftp: { maxTransfers: 0 }\n'), /pxe\.tftp\.maxTransfers/);
    assert.match(refusal('  tftp: { maxPerSource: 1.5 }\n'), /pxe\.tftp\.maxPerSource/);
    assert.match(refusal('  tftp: { slots: 3 }\n'), /pxe\.tftp/);
    assert.match(refusal('  dhcp: { perMac: { burst: 0, refillSeconds: 2 } }\n'), /pxe\.dhcp\.perMac\.burst/);
    assert.match(refusal('  dhcp: { perMac: { burst: 4 } }\n'), /pxe\.dhcp\.perMac\.refillSeconds/);
    assert.match(refusal('  dhcp: { maxTrackedMacs: 2 }\n'), /pxe\.dhcp\.maxTrackedMacs/);
    assert.match(refusal('  controllerPublicKey: "not a key"\n'), /pxe\.controllerPublicKey: must be one OpenSSH public key line/);
  });
});
