/* global document, Node */
// Small DOM and formatting helpers. Data always goes in as text nodes, never as markup.

/** h('td', { class: 'x' }, child, 'text', [more]) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** Every phase has a symbol AND its name: readable without colour. */
const PHASE_ICONS = {
  healthy: '✔', suspect: '?', failed: '✖', recovering: '↻', verifying: '…', holding: '⏸',
  blocked: '⛔', 'awaiting-operator': '☎', quarantined: '⚠', maintenance: '🔧',
};
export function phaseBadge(phase) {
  return h('span', { class: `phase phase-${phase}`, 'data-phase': phase }, h('span', { 'aria-hidden': 'true' }, PHASE_ICONS[phase] ?? '•'), phase);
}

/** 75 -> "1 m 15 s"; 3700 -> "1 h 01 m". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} m`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function clock(iso) {
  return iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : '–';
}

/** A <time> whose text the page's ticker keeps current: "for 1 m 05 s" / "in 30 s". */
export function liveTime(iso, mode) {
  if (!iso) return h('span', { class: 'muted' }, '–');
  return h('time', { datetime: iso, 'data-live': mode, title: new Date(iso).toLocaleString() }, '');
}

/** Text of a live <time>, given the server's clock offset (ms) so browser and controller agree. */
export function liveText(el, offsetMs) {
  const at = Date.parse(el.getAttribute('datetime'));
  const now = Date.now() + offsetMs;
  const mode = el.getAttribute('data-live');
  if (mode === 'since') return duration((now - at) / 1000);
  const left = (at - now) / 1000;
  return left >= 0 ? `in ${duration(left)} (${clock(el.getAttribute('datetime'))})` : `${duration(-left)} ago (${clock(el.getAttribute('datetime'))})`;
}

export function replaceChildren(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
}
