/** Inventory entries for config tests: the smallest valid host and VM of a config file. */
export const configHost = (name: string, mac: string, extra: Record<string, unknown> = {}) => ({
  name,
  role: 'primary',
  macs: [mac],
  ip: '10.0.0.1',
  hypervisorUri: `qemu+ssh://root@${name}/system`,
  capacity: { cores: 8, ramGb: 64, diskTb: 1 },
  ...extra,
});
