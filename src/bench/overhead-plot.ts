/**
 * The overhead run's figure: latency CDFs per path (one connection; the fixed moderate rate) and
 * the CDF of the gaps between streamed chunks, stacked in one PNG.
 */
import { ecdfPoints, percentile } from './stats';
import { drawLineChart, Series } from './line-chart';
import type { PathId } from './overhead-types';
import { PATH_LABELS } from './overhead-types';
import { encodePng } from './png-encoder';
import { Raster, Rgb } from './raster';

export const PATH_COLORS: Record<PathId, Rgb> = {
  A: [31, 119, 180],
  B: [214, 39, 40],
  C: [44, 160, 44],
};

export interface PlotPanel {
  title: string;
  xLabel: string;
  samples: Partial<Record<PathId, number[]>>;
  /** Requests or streams behind each sample, when the samples are quantiles rather than every value (wrk). */
  counts?: Partial<Record<PathId, number>>;
  /** The x axis ends at this percentile of the slowest path (tails would squash the rest). */
  clipPercentile?: number;
  xMin?: number;
  xMax?: number;
}

const WIDTH = 960;
const PANEL_HEIGHT = 330;

export function renderOverheadPlot(panels: PlotPanel[], footer: string): Buffer {
  const r = new Raster(WIDTH, PANEL_HEIGHT * panels.length + 24);
  panels.forEach((panel, i) => {
    const series: Series[] = (Object.entries(panel.samples) as [PathId, number[]][])
      .filter(([, values]) => values.length > 0)
      .map(([path, values]) => ({ label: `${PATH_LABELS[path]} (N=${panel.counts?.[path] ?? values.length})`, color: PATH_COLORS[path], points: ecdfPoints(values, 300) }));
    const tails = Object.values(panel.samples)
      .filter((v): v is number[] => !!v && v.length > 0)
      .map((v) => percentile(v, panel.clipPercentile ?? 99.5) as number);
    const xMax = panel.xMax ?? (tails.length ? Math.max(...tails) * 1.05 : 1);
    drawLineChart(r, { x: 0, y: i * PANEL_HEIGHT, w: WIDTH, h: PANEL_HEIGHT }, { title: panel.title, xLabel: panel.xLabel, yLabel: 'FRACTION <= X', series, xMin: panel.xMin ?? 0, xMax, yMin: 0, yMax: 1 });
  });
  r.text(8, PANEL_HEIGHT * panels.length + 8, footer, [90, 90, 90]);
  return encodePng(r.width, r.height, r.pixels);
}
