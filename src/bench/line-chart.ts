/** A line chart on a Raster: frame, grid, ticks with labels, a title, series and a legend. */
import { GLYPH_HEIGHT, textWidth } from './bitmap-font';
import { Raster, Rgb } from './raster';

export interface Series {
  label: string;
  color: Rgb;
  points: { x: number; y: number }[];
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  xMin?: number;
  xMax?: number;
  yMin?: number;
  yMax?: number;
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

const INK: Rgb = [40, 40, 40];
const GRID: Rgb = [225, 225, 225];

/** About `count` round tick values (steps of 1, 2 or 5 × 10^k) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) return [min];
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** A tick label: no more decimals than needed. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1000) return String(Math.round(v));
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return String(Number(v.toFixed(digits)));
}

export function drawLineChart(r: Raster, box: Box, spec: ChartSpec): void {
  const all = spec.series.flatMap((s) => s.points);
  const xMin = spec.xMin ?? Math.min(0, ...all.map((p) => p.x));
  const xMax = spec.xMax ?? Math.max(xMin + 1, ...all.map((p) => p.x));
  const yMin = spec.yMin ?? Math.min(0, ...all.map((p) => p.y));
  const yMax = spec.yMax ?? Math.max(yMin + 1, ...all.map((p) => p.y));
  const plot: Box = { x: box.x + 56, y: box.y + 30, w: box.w - 76, h: box.h - 76 };
  const px = (x: number) => plot.x + ((Math.min(Math.max(x, xMin), xMax) - xMin) / (xMax - xMin)) * plot.w;
  const py = (y: number) => plot.y + plot.h - ((Math.min(Math.max(y, yMin), yMax) - yMin) / (yMax - yMin)) * plot.h;

  r.text(box.x + (box.w - textWidth(spec.title, 2)) / 2, box.y + 4, spec.title, INK, 2);
  for (const t of niceTicks(xMin, xMax, 8)) {
    r.line(px(t), plot.y, px(t), plot.y + plot.h, GRID);
    const label = formatTick(t);
    r.text(px(t) - textWidth(label) / 2, plot.y + plot.h + 6, label, INK);
  }
  for (const t of niceTicks(yMin, yMax, 5)) {
    r.line(plot.x, py(t), plot.x + plot.w, py(t), GRID);
    const label = formatTick(t);
    r.text(plot.x - 6 - textWidth(label), py(t) - GLYPH_HEIGHT / 2, label, INK);
  }
  r.line(plot.x, plot.y, plot.x, plot.y + plot.h, INK);
  r.line(plot.x, plot.y + plot.h, plot.x + plot.w, plot.y + plot.h, INK);
  r.text(plot.x + (plot.w - textWidth(spec.xLabel)) / 2, plot.y + plot.h + 22, spec.xLabel, INK);
  r.text(box.x + 4, plot.y - 14, spec.yLabel, INK);

  for (const s of spec.series) {
    for (let i = 1; i < s.points.length; i++) {
      const a = s.points[i - 1];
      const b = s.points[i];
      r.line(px(a.x), py(a.y), px(b.x), py(b.y), s.color, 2);
    }
  }

  // Legend, bottom right inside the plot.
  const rowH = 14;
  const legendW = Math.max(...spec.series.map((s) => textWidth(s.label)), 0) + 34;
  const lx = plot.x + plot.w - legendW - 8;
  let ly = plot.y + plot.h - rowH * spec.series.length - 10;
  r.fillRect(lx - 4, ly - 4, legendW + 8, rowH * spec.series.length + 6, [255, 255, 255]);
  for (const s of spec.series) {
    r.fillRect(lx, ly + 2, 22, 3, s.color);
    r.text(lx + 28, ly, s.label, INK);
    ly += rowH;
  }
}
