/* global document */
// Open incidents (rung, time in rung, deadline, next step, timeline) and the recent recoveries.
import { nextCell } from './render.js';
import { clock, duration, h, liveTime, phaseBadge, replaceChildren } from './dom.js';
import { recoveryPlot } from './plot.js';

/** Which timelines the operator opened: kept across re-renders. */
const openTimelines = new Set();

function fact(label, value) {
  return h('div', {}, h('dt', {}, label), h('dd', {}, value));
}

function timeline(inc) {
  const rows = inc.timeline.map((e) => h('tr', { 'data-kind': e.kind },
    h('td', {}, clock(e.at)),
    h('td', {}, e.kind),
    h('td', {}, e.message),
    h('td', {}, e.durationSeconds !== null ? duration(e.durationSeconds) : e.outcome === 'running' ? liveTime(e.at, 'since') : ''),
    h('td', {}, e.outcome ?? '')));
  const details = h('details', { 'data-incident': inc.id },
    h('summary', {}, `Timeline (${inc.timeline.length} entries)`),
    h('table', { class: 'grid' },
      h('caption', { class: 'sr-only' }, `Timeline of incident ${inc.id}`),
      h('thead', {}, h('tr', {}, ['Time', 'Kind', 'What', 'Took', 'Outcome'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows)));
  details.open = openTimelines.has(inc.id);
  details.addEventListener('toggle', () => (details.open ? openTimelines.add(inc.id) : openTimelines.delete(inc.id)));
  return details;
}

function incidentCard(inc) {
  const next = nextCell(inc.next);
  return h('article', { class: 'incident', 'data-incident': inc.id, 'data-mode': inc.next?.mode ?? 'none', 'aria-labelledby': `inc-${inc.id}` },
    h('h3', { id: `inc-${inc.id}` }, `${inc.targetId}: ${inc.signatureSummary}`, ' ', inc.phase ? phaseBadge(inc.phase) : null),
    h('dl', { class: 'facts' },
      fact('Incident', inc.id),
      fact('State', inc.state),
      fact('Rung', h('span', { class: 'rung', 'data-rung': String(inc.currentRung) }, `${inc.currentRung} ${inc.rungName ?? ''}`)),
      fact('Entry rung', String(inc.entryRung)),
      fact('Open for', liveTime(inc.detectedAt, 'since')),
      fact('In this rung', liveTime(inc.rungStartedAt, 'since')),
      fact('Deadline', liveTime(inc.rungDeadline, 'until'))),
    h('p', { class: 'next-line' }, h('strong', {}, 'Next: '), ...next.childNodes),
    timeline(inc));
}

export function renderIncidents(s) {
  const list = s.openIncidents;
  document.getElementById('incidents-count').textContent = `(${list.length})`;
  replaceChildren(document.getElementById('incidents'),
    list.length ? list.map(incidentCard) : [h('p', { class: 'muted', id: 'no-incidents' }, '✔ No open incident: every target serves or is in maintenance.')]);
}

export function renderRecent(s) {
  const closed = s.recentIncidents;
  replaceChildren(document.getElementById('plot'), recoveryPlot(closed));
  replaceChildren(document.getElementById('recent').tBodies[0],
    closed.length
      ? closed.map((i) => h('tr', { 'data-incident': i.id },
        h('th', { scope: 'row' }, i.id),
        h('td', {}, i.signatureSummary),
        h('td', {}, i.entryRung === i.currentRung ? String(i.entryRung) : `${i.entryRung} → ${i.currentRung}`),
        h('td', {}, clock(i.detectedAt)),
        h('td', {}, i.state),
        h('td', {}, i.recoverySeconds === null ? '–' : duration(i.recoverySeconds))))
      : [h('tr', {}, h('td', { colspan: '6', class: 'muted' }, 'no closed incident yet'))]);
}
