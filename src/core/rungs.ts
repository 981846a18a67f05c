/**
 * The rung table: the one definition of the ladder's remedies. Every other place (the ladders,
 * the executor's timeouts, the API's rung parameter, the bench's names, the operator commands'
 * allowed rungs) derives from it; no bare rung numbers elsewhere.
 *
 * `destructive` marks a remedy that can take a serving target down (power cycle or off, fence,
 * reinstall, destroying a domain, starting a VM elsewhere): it needs independent evidence.
 */
/** Same as types.ts's TargetKind, spelled here so this table imports nothing. */
type TargetKind = 'host' | 'vm';

export interface RungDefinition {
  number: number;
  name: string;
  /** Key of the named-number map RUNG (camelCase of the name). */
  key: string;
  /** Target kinds this rung applies to. */
  kinds: readonly TargetKind[];
  destructive: boolean;
  summary: string;
}

export const RUNG_TABLE = [
  { number: 0, name: 'service-restart', key: 'serviceRestart', kinds: ['vm'], destructive: false, summary: 'restart the service inside the VM over SSH' },
  { number: 1, name: 'reboot', key: 'reboot', kinds: ['host', 'vm'], destructive: true, summary: 'power on, clean reboot, else BMC power cycle; VM: soft reboot' },
  { number: 2, name: 'restart-vm', key: 'restartVm', kinds: ['vm'], destructive: true, summary: 'destroy and start the domain' },
  { number: 3, name: 'restart-hypervisor', key: 'restartHypervisor', kinds: ['host'], destructive: false, summary: 'restart libvirtd over SSH; guests keep running' },
  { number: 4, name: 'fence-migrate', key: 'fenceMigrate', kinds: ['host', 'vm'], destructive: true, summary: 'power off (confirmed), start the VMs on other hosts' },
  { number: 5, name: 'reinstall', key: 'reinstall', kinds: ['host'], destructive: true, summary: 'PXE reinstall from the controller, then put VMs back' },
  { number: 6, name: 'quarantine', key: 'quarantine', kinds: ['host', 'vm'], destructive: false, summary: 'give up cleanly: alert, hand over to a person' },
] as const satisfies readonly RungDefinition[];

export type RungEntry = (typeof RUNG_TABLE)[number];
export type RungName = RungEntry['name'];
export type RungNumber = RungEntry['number'];
type RungKey = RungEntry['key'];

/** A tuple of the names of a tuple of definitions (homomorphic over the tuple's indices). */
type NamesOf<T extends readonly { name: string }[]> = { readonly [I in keyof T]: T[I]['name'] };

/** Rung names in ladder order; the index is the rung number. */
export const RUNGS = RUNG_TABLE.map((r) => r.name) as unknown as NamesOf<typeof RUNG_TABLE>;

/** Named rung numbers: `RUNG.fenceMigrate` rather than a bare 4. */
export const RUNG = Object.fromEntries(RUNG_TABLE.map((r) => [r.key, r.number])) as { [E in RungEntry as E['key']]: E['number'] } & Record<RungKey, RungNumber>;

export const LOWEST_RUNG: RungNumber = RUNG_TABLE[0].number;
export const HIGHEST_RUNG: RungNumber = RUNG_TABLE[RUNG_TABLE.length - 1]!.number;

/** The rung numbers as people write them in help texts and errors (`0..6` today). */
export const RUNG_RANGE = `${LOWEST_RUNG}..${HIGHEST_RUNG}`;

export function rungNumber(name: RungName): RungNumber {
  return RUNGS.indexOf(name) as RungNumber;
}

export function rungName(rung: number | null): RungName | null {
  return rung === null ? null : (RUNG_TABLE[rung]?.name ?? null);
}

export function isRungNumber(n: number): n is RungNumber {
  return Number.isInteger(n) && n >= LOWEST_RUNG && n <= HIGHEST_RUNG;
}

export function rungDefinition(rung: RungNumber): RungEntry {
  return RUNG_TABLE[rung];
}

/** Rungs that apply to a target kind, in ladder order. */
export function rungsFor(kind: TargetKind): RungNumber[] {
  return RUNG_TABLE.filter((r) => (r.kinds as readonly TargetKind[]).includes(kind)).map((r) => r.number);
}

export function isDestructiveRung(rung: RungNumber): boolean {
  return RUNG_TABLE[rung].destructive;
}
