/**
 * The NoCloud seed's files for a recipe: parsed back as YAML 1.1 (what cloud-init's PyYAML reads),
 * they carry the hostname, the owner with their keys, the recipes' packages once each in order, and
 * the first-boot commands byte for byte, however they look. Bad names are refused.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { isRrcError } from '../../../src/errors.js';
import type { FirstBootData } from '../../../src/on-demand/catalogue-types.js';
import { renderMetaData, renderUserData, validateFirstBootData } from '../../../src/on-demand/images/index.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9yZXhhbXBsZWtleWZvcnRlc3RzMDAwMDAwMDAwMDAw alice@laptop';
const data: FirstBootData = {
  instanceId: 'req-42',
  hostname: 'lent-alice-42',
  owner: 'alice',
  sshAuthorizedKeys: [KEY, 'ssh-rsa AAAAB3NzaC1yc2E= second # key: with yaml-ish bits'],
  middleware: [
    { name: 'htcondor', description: 'HTCondor worker', packages: ['htcondor', 'curl'], firstBoot: ['systemctl enable --now condor', 'yes'] },
    {
      name: 'cvmfs',
      description: 'CernVM-FS client',
      packages: ['cvmfs', 'curl'],
      firstBoot: ['cvmfs_config setup', `echo "a: b # c" > /etc/x && printf '%s\\n' '- not a list'\n%end\nexit 0`, '12:30', 'on'],
    },
  ],
};

const yaml11 = (text: string): Record<string, unknown> => parse(text, { version: '1.1' }) as Record<string, unknown>;

describe('cloud-init NoCloud files', () => {
  test('meta-data: instance id and local hostname', () => {
    assert.deepEqual(yaml11(renderMetaData(data)), { 'instance-id': 'req-42', 'local-hostname': 'lent-alice-42' });
  });

  test('user-data for a recipe: #cloud-config with hostname, owner keys, packages and first-boot commands', () => {
    const text = renderUserData(data);
    assert.ok(text.startsWith('#cloud-config\n'), 'cloud-init needs the #cloud-config first line');
    const doc = yaml11(text);
    assert.equal(doc.hostname, 'lent-alice-42');
    assert.equal(doc.preserve_hostname, false);
    assert.equal(doc.ssh_pwauth, false);
    const users = doc.users as Array<Record<string, unknown>>;
    assert.equal(users.length, 1);
    assert.equal(users[0]?.name, 'alice');
    assert.deepEqual(users[0]?.ssh_authorized_keys, data.sshAuthorizedKeys);
    assert.deepEqual(doc.packages, ['htcondor', 'curl', 'cvmfs']);
    assert.equal(doc.package_update, true);
    assert.deepEqual(doc.runcmd, data.middleware.flatMap((m) => m.firstBoot), 'commands round-trip as strings (no YAML 1.1 booleans or sexagesimals)');
  });

  test('no middleware: no packages or runcmd keys', () => {
    const doc = yaml11(renderUserData({ ...data, middleware: [] }));
    assert.equal('packages' in doc, false);
    assert.equal('runcmd' in doc, false);
  });

  test('names that would land in files, hostnames or user names are validated', () => {
    const refused = (d: FirstBootData): void => assert.throws(() => validateFirstBootData(d), (e: unknown) => isRrcError(e, 'RRC_ERR_VALIDATION'));
    refused({ ...data, instanceId: '../../etc/passwd' });
    refused({ ...data, hostname: 'bad_host' });
    refused({ ...data, hostname: 'x\nruncmd: [reboot]' });
    refused({ ...data, owner: 'Alice; rm -rf /' });
    refused({ ...data, sshAuthorizedKeys: ['ssh-ed25519 AAAA\nssh-rsa BBBB evil'] });
    refused({ ...data, sshAuthorizedKeys: ['not a key'] });
    refused({ ...data, middleware: [{ name: 'm', description: '', packages: ['ok', 'bad pkg; reboot'], firstBoot: [] }] });
    assert.doesNotThrow(() => validateFirstBootData(data));
  });
});
