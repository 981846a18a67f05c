// Recovery times of the recent incidents as an inline SVG bar chart (oldest left), with the
// ten-minute goal line; a text summary says the same for screen readers.
import { duration, h, svg } from './dom.js';

const W = 720;
const H = 200;
const PAD = { left: 48, right: 12, top: 12, bottom: 24 };
const GOAL_SECONDS = 600;

function niceMax(v) {
  for (const step of [30, 60, 120, 300, 600, 900, 1800, 3600]) if (v <= step * 5) return Math.ceil(v / step) * step || step;
  return Math.ceil(v / 3600) * 3600;
}

export function recoveryPlot(incidents) {
  const points = incidents.filter((i) => i.state === 'resolved' && i.recoverySeconds !== null).slice().reverse();
  if (points.length === 0) return h('figcaption', { class: 'muted' }, 'Recovery times appear here once incidents resolve.');
  const values = points.map((p) => p.recoverySeconds);
  const max = niceMax(Math.max(...values, 1));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const y = (v) => PAD.top + plotH - (Math.min(v, max) / max) * plotH;
  const slot = plotW / points.length;
  const bar = Math.max(2, Math.min(28, slot * 0.7));
  const ticks = [0, max / 2, max];
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const summary = `${points.length} recoveries: mean ${duration(mean)}, longest ${duration(Math.max(...values))}, ${values.filter((v) => v <= GOAL_SECONDS).length} within ten minutes.`;
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `Recovery times. ${summary}` },
    svg('title', {}, 'Recovery time of each recent incident, oldest first'),
    ticks.map((t) => [
      svg('line', { class: 'tick', x1: PAD.left, x2: W - PAD.right, y1: y(t), y2: y(t) }),
      svg('text', { x: PAD.left - 6, y: y(t) + 4, 'text-anchor': 'end' }, duration(t)),
    ]),
    max >= GOAL_SECONDS ? [
      svg('line', { class: 'goal', x1: PAD.left, x2: W - PAD.right, y1: y(GOAL_SECONDS), y2: y(GOAL_SECONDS) }),
      svg('text', { x: W - PAD.right, y: y(GOAL_SECONDS) - 4, 'text-anchor': 'end' }, 'goal: 10 min'),
    ] : null,
    points.map((p, i) => {
      const x = PAD.left + i * slot + (slot - bar) / 2;
      return svg('rect', { class: p.recoverySeconds > GOAL_SECONDS ? 'bar slow' : 'bar', x, y: y(p.recoverySeconds), width: bar, height: Math.max(1, PAD.top + plotH - y(p.recoverySeconds)), 'data-incident': p.id },
        svg('title', {}, `${p.id}: ${duration(p.recoverySeconds)}`));
    }),
    svg('line', { class: 'axis', x1: PAD.left, x2: W - PAD.right, y1: PAD.top + plotH, y2: PAD.top + plotH }),
    svg('text', { x: PAD.left, y: H - 6 }, 'oldest'),
    svg('text', { x: W - PAD.right, y: H - 6, 'text-anchor': 'end' }, 'newest'));
  return [chart, h('figcaption', { class: 'muted' }, summary)];
}
