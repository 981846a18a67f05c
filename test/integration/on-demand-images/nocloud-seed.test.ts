/**
 * buildNoCloudSeed with the real genisoimage: an ISO 9660 volume labelled `cidata` whose meta-data
 * and user-data (read back with isoinfo, same package) are exactly the rendered files; built once
 * (a second call keeps the file), rebuilt when the data changes, removed idempotently.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isRrcError } from '../../../src/errors.js';
import type { FirstBootData } from '../../../src/on-demand/catalogue-types.js';
import { buildNoCloudSeed, removeSeed, renderMetaData, renderUserData } from '../../../src/on-demand/images/index.js';
import { delay, makeTempDir, requireBinary } from '../../lab/peers/common.js';

const data: FirstBootData = {
  instanceId: 'req-9',
  hostname: 'lent-bob-9',
  owner: 'bob',
  sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBobsKey= bob@desk'],
  middleware: [{ name: 'cvmfs', description: 'CernVM-FS', packages: ['cvmfs'], firstBoot: ['cvmfs_config setup'] }],
};

describe('NoCloud seed ISO with genisoimage', () => {
  const tmp = makeTempDir('on-demand-seed');
  after(() => tmp.remove());
  const isoinfo = requireBinary('isoinfo', 'genisoimage');
  const readIso = (iso: string, file: string): string => execFileSync(isoinfo, ['-R', '-i', iso, '-x', `/${file}`], { encoding: 'utf8' });
  const seeds = join(tmp.dir, 'seeds');

  test('a cidata volume holding exactly meta-data and user-data', async () => {
    const iso = await buildNoCloudSeed({ dir: seeds, data });
    assert.equal(iso, join(seeds, 'req-9-seed.iso'));
    assert.match(execFileSync(isoinfo, ['-d', '-i', iso], { encoding: 'utf8' }), /^Volume id: cidata$/m);
    assert.deepEqual(
      execFileSync(isoinfo, ['-R', '-f', '-i', iso], { encoding: 'utf8' }).split('\n').filter(Boolean).sort(),
      ['/meta-data', '/user-data'],
    );
    assert.equal(readIso(iso, 'meta-data'), renderMetaData(data));
    assert.equal(readIso(iso, 'user-data'), renderUserData(data));
    assert.deepEqual(readdirSync(seeds), ['req-9-seed.iso'], 'no staging files left');
  });

  test('idempotent: the same data keeps the file; changed data rebuilds it', async () => {
    const iso = await buildNoCloudSeed({ dir: seeds, data });
    const first = statSync(iso).mtimeMs;
    await delay(20);
    assert.equal(await buildNoCloudSeed({ dir: seeds, data }), iso);
    assert.equal(statSync(iso).mtimeMs, first, 'not rebuilt');
    const changed = { ...data, sshAuthorizedKeys: [...data.sshAuthorizedKeys, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAISecond= bob@laptop'] };
    await buildNoCloudSeed({ dir: seeds, data: changed });
    assert.equal(readIso(iso, 'user-data'), renderUserData(changed));
  });

  test('remove is idempotent', async () => {
    const iso = join(seeds, 'req-9-seed.iso');
    await removeSeed(iso);
    assert.equal(existsSync(iso), false);
    await removeSeed(iso);
  });

  test('invalid data is refused before anything is written', async () => {
    const dir = join(tmp.dir, 'refused');
    await assert.rejects(buildNoCloudSeed({ dir, data: { ...data, instanceId: '../escape' } }), (e: unknown) => isRrcError(e, 'RRC_ERR_VALIDATION'));
    await assert.rejects(buildNoCloudSeed({ dir: 'relative', data }), (e: unknown) => isRrcError(e, 'RRC_ERR_VALIDATION'));
    assert.equal(existsSync(dir), false);
  });
});
