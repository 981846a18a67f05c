/**
 * renderKickstartFirstBoot: one %post section that nothing inside can end early, whose shell (a real
 * sh, run against a scratch root with stub system tools) sets the hostname, installs the owner's key
 * byte for byte whatever it holds, installs the packages and runs each first-boot command as given.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isRrcError } from '../../../src/errors.js';
import type { FirstBootData } from '../../../src/on-demand/catalogue-types.js';
import { renderKickstartFirstBoot, shellQuote } from '../../../src/on-demand/images/index.js';

const HOSTILE_KEY = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostile= alice's key $(touch "$RRC_OUT/pwned") \`touch "$RRC_OUT/pwned2"\` "q" ; rm -rf ~ # %end`;
const MULTILINE = `printf '%s\\n' "it's \\"quoted\\" \\$HOME" > "$RRC_OUT/cmd1"\n%end\n%post\necho 'second line' >> "$RRC_OUT/cmd1"`;
const data: FirstBootData = {
  instanceId: 'req-7',
  hostname: 'lent-alice-7',
  owner: 'alice',
  sshAuthorizedKeys: [HOSTILE_KEY, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPlain= plain'],
  middleware: [
    { name: 'htcondor', description: '', packages: ['htcondor', 'python3-htcondor'], firstBoot: [MULTILINE] },
    { name: 'cvmfs', description: '', packages: ['cvmfs'], firstBoot: [`touch "$RRC_OUT/cmd2-'$(echo ran)'"`] },
  ],
};

const STUBS: Record<string, string> = {
  hostnamectl: 'exit 1', // no systemd in the scratch root: the /etc/hostname fallback is used
  id: 'exit 1', // the owner does not exist yet
  useradd: 'printf "%s\\n" "$@" > "$RRC_OUT/useradd.args"',
  getent: 'echo "alice:x:1000:1000::$RRC_ROOT/home/alice:/bin/bash"',
  chown: 'printf "%s\\n" "$@" > "$RRC_OUT/chown.args"',
  dnf: 'printf "%s\\n" "$@" > "$RRC_OUT/dnf.args"',
};

describe('renderKickstartFirstBoot', () => {
  const dir = mkdtempSync(join(tmpdir(), '3rc-kickstart-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('one %post section: no value can put a line starting with % into it', () => {
    const text = renderKickstartFirstBoot(data);
    const pct = text.split('\n').filter((l) => l.startsWith('%'));
    assert.deepEqual(pct, ['%post --erroronfail --log=/root/3rc-first-boot.log', '%end']);
    assert.ok(text.trimEnd().endsWith('%end'));
  });

  test('run by a real sh: hostname, key byte for byte, packages, commands as given', () => {
    const root = join(dir, 'root');
    const out = join(dir, 'out');
    const stubs = join(dir, 'stubs');
    for (const d of [join(root, 'etc/sudoers.d'), join(root, 'home/alice'), out, stubs]) mkdirSync(d, { recursive: true });
    for (const [name, body] of Object.entries(STUBS)) {
      writeFileSync(join(stubs, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(stubs, name), 0o755);
    }
    const lines = renderKickstartFirstBoot(data).split('\n');
    const body = lines.slice(1, lines.lastIndexOf('%end')).join('\n');
    execFileSync('sh', ['-n', '-c', body]);
    execFileSync('sh', ['-c', body], {
      env: { PATH: `${stubs}:/usr/bin:/bin`, RRC_ROOT: root, RRC_OUT: out, HOME: join(dir, 'nohome') },
      timeout: 20_000,
    });

    assert.equal(readFileSync(join(root, 'etc/hostname'), 'utf8'), 'lent-alice-7\n');
    assert.equal(readFileSync(join(root, 'home/alice/.ssh/authorized_keys'), 'utf8'), `${data.sshAuthorizedKeys.join('\n')}\n`);
    assert.equal(readFileSync(join(root, 'etc/sudoers.d/3rc-alice'), 'utf8'), 'alice ALL=(ALL) NOPASSWD:ALL\n');
    assert.deepEqual(readFileSync(join(out, 'dnf.args'), 'utf8').split('\n'), ['-y', 'install', 'htcondor', 'python3-htcondor', 'cvmfs', '']);
    assert.match(readFileSync(join(out, 'useradd.args'), 'utf8'), /\nalice\n$/);
    assert.equal(readFileSync(join(out, 'cmd1'), 'utf8'), `it's "quoted" $HOME\nsecond line\n`, 'a multi-line command runs whole, %end inside it included');
    assert.doesNotThrow(() => readFileSync(join(out, `cmd2-'ran'`)), 'commands are shell: their substitutions run');
    assert.throws(() => readFileSync(join(out, 'pwned')), 'a key is data: its $(...) never runs');
    assert.throws(() => readFileSync(join(out, 'pwned2')), 'a key is data: its backticks never run');
  });

  test('shellQuote gives one word holding exactly the value', () => {
    for (const v of [`it's`, `'`, `$(id) \`id\` "x" \\ ;|&<>*?~`, '', 'line1\nline2']) {
      assert.equal(execFileSync('sh', ['-c', `printf '%s' ${shellQuote(v)}`], { encoding: 'utf8' }), v);
    }
  });

  test('hostile names are refused, not quoted', () => {
    const refused = (d: FirstBootData): void => assert.throws(() => renderKickstartFirstBoot(d), (e: unknown) => isRrcError(e, 'RRC_ERR_VALIDATION'));
    refused({ ...data, hostname: "x'; reboot; '" });
    refused({ ...data, owner: 'alice\n%end' });
    refused({ ...data, sshAuthorizedKeys: ['ssh-ed25519 AAAA= ok\n%end\nrm -rf /'] });
  });
});
