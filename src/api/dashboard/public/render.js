/* global document */
// The controller pair, the safety banner, the host and VM tables and the on-demand requests.
import { targetActions } from './actions.js';
import { clock, h, liveTime, phaseBadge, replaceChildren } from './dom.js';

const byId = (id) => document.getElementById(id);

/** Each other controller from its heartbeat row: live (seen within 3 renewals) or stale, with when. */
function standbyList(standbys) {
  if (standbys.length === 0) return h('span', { class: 'muted' }, 'none seen');
  return h('ul', { class: 'standbys' }, ...standbys.map((m) => h('li', { 'data-standby': m.id, 'data-fresh': String(m.fresh) },
    `${m.id} (rank ${m.rank}) `,
    h('strong', {}, m.fresh ? 'live' : 'stale'),
    ', last seen ', liveTime(m.lastSeenAt, 'since'), ' ago',
    m.apiUrl ? ` at ${m.apiUrl}` : '')));
}

export function renderPair(s) {
  const c = s.controller;
  const lease = c.lease;
  const rows = [
    ['This controller', `${c.leader ? 'leader' : 'standby'} (${c.env} rack, ${c.store} store)`],
    ['Leader', c.holder ?? lease?.holder ?? 'none known'],
    ['Epoch', c.epoch ?? lease?.epoch ?? '–'],
    ['Lease', lease ? h('span', {}, `held by ${lease.holder} (rank ${lease.rank}), expires `, liveTime(lease.expiresAt, 'until')) : 'no lease row (single controller)'],
    ['Leader API', c.leaderUrl ?? 'not known'],
    ['Standbys', standbyList(c.standbys ?? [])],
    ['Destructive in flight', `fence ${c.destructiveInFlight.fence}, power cycle ${c.destructiveInFlight.powerCycle}, reinstall ${c.destructiveInFlight.reinstall}`],
    ['Probe cycles', c.probeCycles],
    ['Up since', clock(c.startedAt)],
  ];
  replaceChildren(byId('pair'), rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  const guard = byId('guard');
  guard.hidden = !c.safetyGuard.on;
  guard.textContent = c.safetyGuard.on ? `⏸ Safety guard ON: destructive actions are held (${c.safetyGuard.reason ?? 'no reason given'}). Harmless ones go on.` : '';
}

export function nextCell(next) {
  if (!next) return h('td', { class: 'next muted' }, 'nothing: serving');
  return h('td', { class: 'next' },
    h('span', { class: 'what' }, next.what),
    h('span', { class: 'why' }, next.why),
    next.at ? h('span', { class: 'why' }, 'next look: ', liveTime(next.at, 'until')) : null);
}

function targetRow(t, s) {
  const second = t.kind === 'host' ? (t.role ?? '–') : (t.host ?? '–');
  return h('tr', { 'data-target': t.targetId, 'data-phase': t.phase },
    h('th', { scope: 'row' }, t.name),
    h('td', {}, second),
    h('td', {}, phaseBadge(t.phase), t.reason ? h('span', { class: 'why' }, ` ${t.reason}`) : null),
    h('td', {}, t.rung === null ? '–' : `${t.rung} ${t.rungName ?? ''}`),
    h('td', {}, liveTime(t.since, 'since')),
    nextCell(t.next),
    h('td', {}, String(t.penalty)),
    h('td', {}, targetActions(t, s)));
}

export function renderTargets(s) {
  for (const kind of ['host', 'vm']) {
    const rows = s.targets.filter((t) => t.kind === kind).map((t) => targetRow(t, s));
    replaceChildren(byId(kind === 'host' ? 'hosts' : 'vms').tBodies[0], rows);
  }
}

const pick = (o, ...keys) => keys.map((k) => o?.[k]).find((v) => v !== undefined && v !== null);

/** GET /api/v1/requests (src/api/routes/requests.ts); hidden when that API is absent or not set up. */
export function renderRequests(result) {
  const section = byId('requests');
  if (result.missing) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  byId('requests-error').textContent = result.error ?? '';
  const list = Array.isArray(result.data) ? result.data : [];
  const rows = list.map((r) => {
    const machine = pick(r, 'machine', 'vmName', 'host');
    const runsOn = pick(r, 'runsOn', 'host');
    const asked = [r.kind === 'physical' ? 'physical host' : null, r.cores ? `${r.cores} cores` : null, r.ramGb ? `${r.ramGb} GB RAM` : null, r.diskGb ? `${r.diskGb} GB disk` : null, r.os, ...(r.middleware ?? [])].filter(Boolean).join(', ');
    return h('tr', { 'data-request': String(r.id) },
      h('th', { scope: 'row' }, String(r.id ?? '?')),
      h('td', {}, String(r.owner ?? '–')),
      h('td', {}, machine ? `${machine}${runsOn && runsOn !== machine ? ` on ${runsOn}` : ''}${r.address ? ` (${r.address})` : ''}` : '–'),
      h('td', {}, asked || '–'),
      h('td', {}, String(pick(r, 'state', 'status') ?? '–'), r.error ? h('span', { class: 'why error' }, ` ${r.error}`) : null),
      h('td', {}, r.expiresAt ? liveTime(r.expiresAt, 'until') : '–'));
  });
  replaceChildren(section.querySelector('tbody'), rows.length ? rows : [h('tr', {}, h('td', { colspan: '6', class: 'muted' }, 'no requests'))]);
}
