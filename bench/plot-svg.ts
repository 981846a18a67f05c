/**
 * The bench's figure: one histogram of recovery times per crash class (10 s bins over 0-600 s,
 * anything later stacked in a red bin at the right edge), with the reference Gaussians of the 3RC
 * talk drawn over each (non-destructive 181 s sigma 10, destructive 542 s sigma 17), scaled to
 * the panel's sample count: the curve is where the bars would be if the class had the reference
 * distribution. Extra panels: all classes, host repair of host-destructive (the reinstall, the
 * honest comparison with 542 s) and the controller overhead. Plain SVG, no dependencies.
 */
import { CLASS_NAMES } from './classes.js';
import { LIMIT_SECONDS, REFERENCE, type BenchResult } from './result.js';
import { histogram, normalPdf } from './stats.js';
import type { InjectionOutcome } from './shards.js';

interface Panel {
  title: string;
  subtitle: string;
  values: number[];
  /** Injections without a value (never recovered / repaired): drawn in the overflow bin. */
  missing: number;
  xMax: number;
  bin: number;
  xLabel: string;
}

const W = 1280;
const COLS = 4;
const PW = W / COLS;
const PH = 190;
const HEADER = 78;
const M = { l: 44, r: 14, t: 36, b: 30 };
const COLOR = { bar: '#4a7ab5', over: '#c0392b', ref1: '#1b9e77', ref2: '#d95f02' };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const f1 = (x: number) => (Math.round(x * 10) / 10).toString();

function panels(result: BenchResult, injections: readonly InjectionOutcome[]): Panel[] {
  const out: Panel[] = [];
  for (const name of CLASS_NAMES) {
    const list = injections.filter((i) => i.cls === name);
    if (list.length === 0) continue;
    const c = result.classes.find((k) => k.name === name)!;
    const values = list.map((i) => i.result!.recovery).filter((x): x is number => x !== null);
    out.push({
      title: name,
      subtitle: `n ${c.n}  mean ${f1(c.mean)} s  p99 ${f1(c.p99)} s  <600 s ${f1(c.under600 * 100)} %`,
      values,
      missing: list.length - values.length,
      xMax: LIMIT_SECONDS,
      bin: 10,
      xLabel: 'recovery (s)',
    });
  }
  const all = injections.map((i) => i.result!.recovery).filter((x): x is number => x !== null);
  const o = result.overall;
  out.push({ title: 'all classes', subtitle: `n ${o.n}  mean ${f1(o.mean)} s  p99 ${f1(o.p99)} s  <600 s ${f1(o.under600 * 100)} %`, values: all, missing: injections.length - all.length, xMax: LIMIT_SECONDS, bin: 10, xLabel: 'recovery (s)' });
  const destructive = injections.filter((i) => i.cls === 'host-destructive');
  if (destructive.length > 0) {
    const rep = destructive.map((i) => i.result!.repair).filter((x): x is number => x !== null);
    const c = result.classes.find((k) => k.name === 'host-destructive')!;
    out.push({
      title: 'host-destructive: host repair',
      subtitle: `n ${c.n}  mean ${f1(c.repair?.mean ?? 0)} s  p99 ${f1(c.repair?.p99 ?? 0)} s (reboot, then reinstall)`,
      values: rep,
      missing: destructive.length - rep.length,
      xMax: 1200,
      bin: 20,
      xLabel: 'host back in service (s)',
    });
  }
  const overhead = injections.map((i) => i.result!.overhead).filter((x): x is number => x !== null);
  const os = result.overall.overheadStats;
  out.push({ title: 'controller overhead, all classes', subtitle: `p50 ${f1(os.p50)} s  p99 ${f1(os.p99)} s  (detection, waits, wasted rungs)`, values: overhead, missing: 0, xMax: 120, bin: 2, xLabel: 'overhead (s)' });
  return out;
}

function panelSvg(p: Panel, x0: number, y0: number): string {
  const bins = Math.round(p.xMax / p.bin);
  const counts = histogram(p.values.filter((v) => v < p.xMax), p.bin, bins);
  const over = p.values.filter((v) => v >= p.xMax).length + p.missing;
  const n = p.values.length + p.missing;
  const ref = [REFERENCE.nonDestructive, REFERENCE.destructive].filter((g) => g.mean < p.xMax);
  const refPeak = Math.max(0, ...ref.map((g) => n * p.bin * normalPdf(g.mean, g.mean, g.sd)));
  const yMax = Math.max(1, ...counts, over, p.xLabel.startsWith('overhead') ? 0 : refPeak) * 1.08;
  const iw = PW - M.l - M.r - 12;
  const ih = PH - M.t - M.b;
  const sx = (x: number) => x0 + M.l + (x / p.xMax) * iw;
  const sy = (y: number) => y0 + M.t + ih - (y / yMax) * ih;
  const parts: string[] = [];
  parts.push(`<text x="${x0 + M.l}" y="${y0 + 15}" font-size="13" font-weight="bold">${esc(p.title)}</text>`);
  parts.push(`<text x="${x0 + M.l}" y="${y0 + 29}" font-size="10" fill="#444">${esc(p.subtitle)}</text>`);
  parts.push(`<rect x="${sx(0)}" y="${y0 + M.t}" width="${iw}" height="${ih}" fill="#fafafa" stroke="#ccc" stroke-width="0.5"/>`);
  counts.forEach((c, i) => {
    if (c === 0) return;
    const h = (c / yMax) * ih;
    parts.push(`<rect x="${f1(sx(i * p.bin))}" y="${f1(sy(c))}" width="${f1(Math.max(0.5, (p.bin / p.xMax) * iw - 0.6))}" height="${f1(h)}" fill="${COLOR.bar}"/>`);
  });
  if (over > 0) {
    parts.push(`<rect x="${f1(sx(p.xMax) + 2)}" y="${f1(sy(over))}" width="9" height="${f1((over / yMax) * ih)}" fill="${COLOR.over}"/>`);
    parts.push(`<text x="${f1(sx(p.xMax) - 2)}" y="${f1(sy(over) - 3)}" font-size="9" fill="${COLOR.over}" text-anchor="end">${over} at/over ${p.xMax} s</text>`);
  }
  if (!p.xLabel.startsWith('overhead')) {
    ref.forEach((g, k) => {
      const pts: string[] = [];
      for (let x = Math.max(0, g.mean - 5 * g.sd); x <= Math.min(p.xMax, g.mean + 5 * g.sd); x += g.sd / 8) {
        pts.push(`${f1(sx(x))},${f1(sy(n * p.bin * normalPdf(x, g.mean, g.sd)))}`);
      }
      parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${k === 0 ? COLOR.ref1 : COLOR.ref2}" stroke-width="1.6" stroke-dasharray="4 2"/>`);
    });
  }
  // axes: x ticks every 100 s (20 s for the overhead panel), y: max count
  const step = p.xMax <= 120 ? 20 : p.xMax <= 600 ? 100 : 200;
  for (let x = 0; x <= p.xMax; x += step) {
    parts.push(`<line x1="${f1(sx(x))}" y1="${y0 + M.t + ih}" x2="${f1(sx(x))}" y2="${y0 + M.t + ih + 3}" stroke="#666"/>`);
    parts.push(`<text x="${f1(sx(x))}" y="${y0 + M.t + ih + 13}" font-size="9" text-anchor="middle" fill="#333">${x}</text>`);
  }
  parts.push(`<text x="${f1(sx(p.xMax / 2))}" y="${y0 + M.t + ih + 25}" font-size="9" text-anchor="middle" fill="#555">${esc(p.xLabel)}</text>`);
  parts.push(`<text x="${x0 + M.l - 4}" y="${f1(y0 + M.t + 8)}" font-size="9" text-anchor="end" fill="#333">${Math.round(yMax)}</text>`);
  parts.push(`<text x="${x0 + M.l - 4}" y="${y0 + M.t + ih}" font-size="9" text-anchor="end" fill="#333">0</text>`);
  return parts.join('\n');
}

export function renderSvg(result: BenchResult, injections: readonly InjectionOutcome[]): string {
  const ps = panels(result, injections);
  const rows = Math.ceil(ps.length / COLS);
  const H = HEADER + rows * PH + 10;
  const body = ps.map((p, i) => panelSvg(p, (i % COLS) * PW, HEADER + Math.floor(i / COLS) * PH)).join('\n');
  const nd = REFERENCE.nonDestructive;
  const de = REFERENCE.destructive;
  const title = `3RC crash-injection bench: ${result.injections} injections, seed ${result.seed} (${result.config.hosts} hosts + ${result.config.spares} spares, ${result.config.vms} VMs)`;
  const legend =
    `bars: recovery time (injection to every affected VM answering again), count per bin; red: at/over the limit or never recovered. ` +
    `dashed: reference Gaussians of the 3RC talk scaled to each panel's n`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
<rect width="${W}" height="${H}" fill="white"/>
<text x="16" y="24" font-size="16" font-weight="bold">${esc(title)}</text>
<text x="16" y="42" font-size="11" fill="#333">${esc(legend)}</text>
<line x1="16" y1="58" x2="40" y2="58" stroke="${COLOR.ref1}" stroke-width="2" stroke-dasharray="4 2"/>
<text x="46" y="62" font-size="11">non-destructive: mean ${nd.mean} s, sigma ${nd.sd} s (${nd.tests} tests: overload, shutdown)</text>
<line x1="520" y1="58" x2="544" y2="58" stroke="${COLOR.ref2}" stroke-width="2" stroke-dasharray="4 2"/>
<text x="550" y="62" font-size="11">destructive (reinstall): mean ${de.mean} s, sigma ${de.sd} s (${de.tests} tests)</text>
<rect x="920" y="52" width="10" height="10" fill="${COLOR.bar}"/><text x="936" y="62" font-size="11">this bench</text>
${body}
</svg>
`;
}
