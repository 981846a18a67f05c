#!/usr/bin/env bash
# One-time (idempotent) set-up of a fresh Debian machine for 3RC: the Debian packages of the real
# peers used by the tests, the npm dependencies, and the generated Prisma clients.
# Fast when everything is already there: apt runs only for missing packages.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  # native addons: libvirt binding
  libvirt-dev libvirt-clients pkg-config
  # real peers used by the tests
  openipmi ipmitool openssh-server openssh-client
  qemu-system-x86 ipxe-qemu ipxe ovmf busybox tftp-hpa kea-admin dnsmasq-base tftpd-hpa
  # libvirtd: the autostart test shares one test:///default between the binding and virsh
  libvirt-daemon
  iproute2 procps
  # the API's TLS test makes a self-signed certificate
  openssl
  # PostgreSQL for the multi-controller store and its tests
  postgresql postgresql-client
  # the crash bench's PNG histogram (rsvg-convert)
  librsvg2-bin
  # dashboard browser test (playwright-core drives Debian's chromium), Prometheus scrape test
  chromium prometheus
  # host on demand: copy-on-write overlays (qemu-img) and the cloud-init NoCloud seed ISO
  qemu-utils genisoimage
  # the host agent (kickstart/rrc-watchdog.sh) asks controllers over HTTP; the watchdog test runs it in QEMU
  curl
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# PostgreSQL: start the local cluster if none answers (tests use database "test" on 127.0.0.1:5432).
if command -v pg_lsclusters >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  cluster_version=$(ls /etc/postgresql 2>/dev/null | head -n1 || true)
  if [ -n "$cluster_version" ]; then
    pg_ctlcluster --skip-systemctl-redirect "$cluster_version" main start || true
  fi
fi
mkdir -p /run/sshd 2>/dev/null || true

# Test kernel for the host-on-demand boot test (test/integration/on-demand-images/): Debian's kernel
# (the versioned package linux-image-amd64 depends on), extracted, never installed, with only the
# modules its busybox initramfs loads (IDE cdrom + iso9660 for the seed, virtio-blk for the disk;
# for the watchdog test (test/integration/watchdog/): the e1000 NIC and the i6300esb watchdog).
# Kept in .cache/test-kernel/ (.cache/ ignores itself); vmlinuz is written last and marks it complete,
# and a module added to the list below later makes the next run fetch the whole set again.
TEST_KERNEL_DIR=.cache/test-kernel
TEST_KERNEL_MODULES=(scsi_common scsi_mod libata ata_piix cdrom sr_mod isofs virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk e1000 watchdog i6300esb)
test_kernel_complete() {
  local m
  [ -f "$TEST_KERNEL_DIR/vmlinuz" ] || return 1
  for m in "${TEST_KERNEL_MODULES[@]}"; do
    [ -f "$TEST_KERNEL_DIR/modules/$m.ko" ] || return 1
  done
}
fetch_test_kernel() {
  local pkg work m f
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  [ -n "$pkg" ] || return 1
  work=$(mktemp -d) && chmod 777 "$work" || return 1   # apt's _apt user downloads into it
  if ! (cd "$work" && apt-get download -qq "$pkg" >/dev/null 2>&1) || ! dpkg-deb -x "$work"/*.deb "$work/x"; then
    rm -rf "$work"; return 1
  fi
  # A refresh may bring a newer kernel: vmlinuz goes first so that a half-done one is incomplete,
  # never a kernel with another version's modules.
  rm -rf "$TEST_KERNEL_DIR/vmlinuz" "$TEST_KERNEL_DIR/modules"
  mkdir -p "$TEST_KERNEL_DIR/modules" && printf '*\n' > .cache/.gitignore
  for m in "${TEST_KERNEL_MODULES[@]}"; do
    f=$(find "$work/x/lib/modules" -name "$m.ko" -o -name "$m.ko.xz" | head -n1)
    case "$f" in
      *.xz) xz -dc "$f" > "$TEST_KERNEL_DIR/modules/$m.ko" || { rm -rf "$work"; return 1; } ;;
      ?*) cp "$f" "$TEST_KERNEL_DIR/modules/$m.ko" ;;
      *) rm -rf "$work"; return 1 ;;
    esac
  done
  echo "$pkg" > "$TEST_KERNEL_DIR/package"
  cp "$work"/x/boot/vmlinuz-* "$TEST_KERNEL_DIR/vmlinuz.part" && mv "$TEST_KERNEL_DIR/vmlinuz.part" "$TEST_KERNEL_DIR/vmlinuz"
  rm -rf "$work"
}
if ! test_kernel_complete; then
  echo "setup: fetching the test kernel into $TEST_KERNEL_DIR"
  fetch_test_kernel || echo "setup: could not fetch the test kernel (apt-get download linux-image-*-amd64); the QEMU boot and watchdog tests will skip" >&2
fi

if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi
npm run --silent generate
