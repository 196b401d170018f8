/**
 * Small-multiple line charts as SVG text: one panel per family, one line per strategy, log axes.
 * The benchmark figures need nothing more, so no plotting library: the output is plain,
 * deterministic SVG that GitHub renders inline from bench/README.md.
 */

export interface Series {
  name: string;
  color: string;
  /** Dashed lines for a series that should read as secondary (e.g. libvirt, equal to greedy). */
  dashed?: boolean;
  points: { x: number; y: number }[];
  /** x values where this strategy gives no layout: drawn as a cross on the panel's top edge. */
  failures?: number[];
  /** Points drawn hollow: a result of another kind (e.g. the time of a proof that no layout exists). */
  hollow?: number[];
}

export interface Panel {
  title: string;
  series: Series[];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  yLog: boolean;
  columns: number;
  /** A line under the title: what the figure is and where it comes from. */
  subtitle?: string;
}

const PANEL_W = 300;
const PANEL_H = 210;
const MARGIN = { left: 58, right: 14, top: 30, bottom: 40 };
const HEAD = 62;
const LEGEND = 34;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number) => Number(n.toFixed(1)).toString();

/** Powers of ten covering [lo, hi], with 2 and 5 between them when the range is short. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const steps = Math.log10(hi) - Math.log10(lo) <= 2 ? [1, 2, 5] : [1];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of steps) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  }
  return out;
}

/** 0 to the first step at or above `hi`, in steps of 1, 2 or 5 times a power of ten. */
function linearTicks(hi: number): number[] {
  const raw = hi / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const top = Math.ceil(hi / step) * step;
  const out: number[] = [];
  for (let v = 0; v <= top + step * 0.001; v += step) out.push(Number(v.toFixed(6)));
  return out;
}

const label = (v: number) => (v >= 1000 ? `${fmt(v / 1000)}k` : v >= 1 ? fmt(v) : String(v));

export function renderChart(panels: Panel[], opts: ChartOptions): string {
  const all = panels.flatMap((p) => p.series.flatMap((s) => [...s.points.map((q) => q.x), ...(s.failures ?? [])]));
  const ys = panels.flatMap((p) => p.series.flatMap((s) => s.points.map((q) => q.y))).filter((y) => !opts.yLog || y > 0);
  const xLo = 10 ** Math.floor(Math.log10(Math.min(...all)));
  const xHi = 10 ** Math.ceil(Math.log10(Math.max(...all)));
  const yLo = opts.yLog ? 10 ** Math.floor(Math.log10(Math.min(...ys))) : 0;
  const yHi = opts.yLog ? 10 ** Math.ceil(Math.log10(Math.max(...ys))) : linearTicks(Math.max(1, ...ys)).at(-1)!;
  const innerW = PANEL_W - MARGIN.left - MARGIN.right;
  const innerH = PANEL_H - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + ((Math.log10(x) - Math.log10(xLo)) / (Math.log10(xHi) - Math.log10(xLo))) * innerW;
  const sy = (y: number) =>
    MARGIN.top + innerH - (opts.yLog ? (Math.log10(Math.max(y, yLo)) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo)) : y / yHi) * innerH;
  const xTicks = logTicks(xLo, xHi);
  const yTicks = opts.yLog ? logTicks(yLo, yHi) : linearTicks(yHi);
  const rows = Math.ceil(panels.length / opts.columns);
  const width = opts.columns * PANEL_W;
  const height = HEAD + rows * PANEL_H + LEGEND;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(opts.title)}</text>`,
  ];
  if (opts.subtitle) out.push(`<text x="${width / 2}" y="42" text-anchor="middle" fill="#555">${esc(opts.subtitle)}</text>`);

  panels.forEach((panel, i) => {
    const ox = (i % opts.columns) * PANEL_W;
    const oy = HEAD + Math.floor(i / opts.columns) * PANEL_H;
    out.push(`<g transform="translate(${ox},${oy})">`);
    out.push(`<text x="${MARGIN.left + innerW / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(panel.title)}</text>`);
    out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${innerW}" height="${innerH}" fill="#fafafa" stroke="#999"/>`);
    for (const t of xTicks) {
      const x = fmt(sx(t));
      out.push(`<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + innerH}" stroke="#e4e4e4"/>`);
      out.push(`<text x="${x}" y="${MARGIN.top + innerH + 14}" text-anchor="middle" fill="#333">${label(t)}</text>`);
    }
    for (const t of yTicks) {
      const y = fmt(sy(t));
      out.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + innerW}" y2="${y}" stroke="#e4e4e4"/>`);
      out.push(`<text x="${MARGIN.left - 5}" y="${Number(y) + 4}" text-anchor="end" fill="#333">${label(t)}</text>`);
    }
    out.push(`<text x="${MARGIN.left + innerW / 2}" y="${PANEL_H - 8}" text-anchor="middle" fill="#333">${esc(opts.xLabel)}</text>`);
    out.push(`<text transform="translate(14,${MARGIN.top + innerH / 2}) rotate(-90)" text-anchor="middle" fill="#333">${esc(opts.yLabel)}</text>`);
    panel.series.forEach((s, si) => {
      const pts = [...s.points].sort((a, b) => a.x - b.x);
      const dash = s.dashed ? ' stroke-dasharray="5,3"' : '';
      if (pts.length > 1) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${pts.map((p) => `${fmt(sx(p.x))},${fmt(sy(p.y))}`).join(' ')}"/>`);
      for (const p of pts) {
        const hollow = s.hollow?.includes(p.x);
        const fill = hollow ? `fill="#ffffff" stroke="${s.color}" stroke-width="2"` : `fill="${s.color}"`;
        out.push(`<circle cx="${fmt(sx(p.x))}" cy="${fmt(sy(p.y))}" r="${hollow ? 4 : 3}" ${fill}><title>${esc(`${s.name}: ${label(p.x)} devices, ${fmt(p.y)}`)}</title></circle>`);
      }
      for (const x of s.failures ?? []) {
        const cx = sx(x);
        // One row per series, so that crosses of two strategies at one size do not hide each other.
        const cy = MARGIN.top + 7 + si * 11;
        out.push(`<path d="M${fmt(cx - 4)},${fmt(cy - 4)} L${fmt(cx + 4)},${fmt(cy + 4)} M${fmt(cx - 4)},${fmt(cy + 4)} L${fmt(cx + 4)},${fmt(cy - 4)}" stroke="${s.color}" stroke-width="2"><title>${esc(`${s.name} fails at ${label(x)} devices`)}</title></path>`);
      }
    });
    out.push('</g>');
  });

  const names = [...new Map(panels.flatMap((p) => p.series).map((s) => [s.name, s])).values()];
  const ly = height - LEGEND / 2;
  let lx = 20;
  for (const s of names) {
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`);
    out.push(`<text x="${lx + 30}" y="${ly + 4}">${esc(s.name)}</text>`);
    lx += 40 + s.name.length * 6.5;
  }
  const hollowNote = panels.some((p) => p.series.some((s) => s.hollow?.length)) ? '; hollow: the time to prove that no layout exists' : '';
  out.push(`<text x="${lx + 10}" y="${ly + 4}" fill="#555">× at the top: that strategy gives no layout at that size${hollowNote}</text>`);
  out.push('</svg>', '');
  return out.join('\n');
}
