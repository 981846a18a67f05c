/**
 * A busybox initramfs that plays cloud-init's part on a lent machine, for the real boot test:
 * /init loads the cdrom, iso9660 and virtio-blk modules of the test kernel, mounts the NoCloud seed
 * (the IDE cdrom, /dev/sr0), sets the hostname from meta-data, writes the owner's keys from
 * user-data to /root/.ssh/authorized_keys, prints both to the serial console, reads the head of
 * its disk (/dev/vda, the overlay) and writes a marker into it, then resets the machine: QEMU runs
 * with -no-reboot, so the reset ends it (a poweroff needs ACPI pieces this initramfs does not load).
 *
 * The common part (busybox, modules, the start of /init) is busybox-initramfs.ts. Console lines start with GUEST_TAG so the test can pick them out of the kernel's output.
 */
import { buildBusyboxInitramfs, initPreamble } from './busybox-initramfs.js';
import type { TestKernel } from './test-kernel.js';

export const GUEST_TAG = 'RRC-GUEST';
/** Where /init writes its marker on the disk: 1 MiB in, one sector. */
export const DISK_MARKER_OFFSET = 1024 * 1024;
export const DISK_MARKER_PREFIX = 'RRC-OVERLAY-WRITE';

/** IDE cdrom (ata_piix + sr_mod) with iso9660 for the seed; virtio-blk for the overlay. */
const MODULES = ['ata_piix', 'sr_mod', 'isofs', 'virtio_pci', 'virtio_blk'];

const APPLETS = [
  'sh', 'mount', 'umount', 'insmod', 'sleep', 'mkdir', 'sed', 'awk', 'tr', 'hostname', 'cat', 'head',
  'dd', 'sync', 'reboot', 'chmod', 'printf', 'echo', 'ls',
];

/** Every loop below is bounded (device wait: 150 x 0.2 s). */
const INIT = `${initPreamble(GUEST_TAG)}i=0
while { [ ! -b /dev/sr0 ] || [ ! -b /dev/vda ]; } && [ $i -lt 150 ]; do sleep 0.2; i=$((i+1)); done
mkdir -p /seed
if ! mount -t iso9660 -o ro /dev/sr0 /seed; then
  say "error: cannot mount the seed cdrom /dev/sr0"; reboot -f
fi
say "seed files: $(ls /seed | tr '\\n' ' ')"
host=$(sed -n 's/^local-hostname: *//p' /seed/meta-data | tr -d '"')
iid=$(sed -n 's/^instance-id: *//p' /seed/meta-data | tr -d '"')
hostname "$host"
say "hostname=$(hostname)"
say "instance-id=$iid"
mkdir -p /root/.ssh
chmod 700 /root/.ssh
awk '
  /^ *ssh_authorized_keys:/ { inkeys = 1; next }
  inkeys && /^ *- / { sub(/^ *- /, ""); gsub(/^"|"$/, ""); print; next }
  { inkeys = 0 }
' /seed/user-data > /root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
while read -r key; do say "authorized_key=$key"; done < /root/.ssh/authorized_keys
say "disk-head=$(head -c 32 /dev/vda | tr -d '\\000')"
printf '${DISK_MARKER_PREFIX} %s\\n' "$host" | dd of=/dev/vda bs=512 seek=${DISK_MARKER_OFFSET / 512} conv=notrunc,fsync 2>/dev/null
sync
say "disk-write=done"
umount /seed
say "done"
reboot -f
`;

export function buildSeedReaderInitramfs(kernel: TestKernel): Buffer {
  return buildBusyboxInitramfs({ kernel, init: INIT, modules: MODULES, applets: APPLETS, extra: [{ kind: 'dir', path: 'root', mode: 0o700 }] });
}
