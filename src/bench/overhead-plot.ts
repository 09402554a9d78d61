/**
 * The overhead run's figure: latency CDFs per path (one connection; the fixed moderate rate) and
 * the CDF of the gaps between streamed chunks, stacked in one SVG drawn by Apache ECharts (its
 * server-side SVG renderer: no DOM, no canvas), and the same as a PNG rendered by resvg.
 */
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';
import type { PathId } from './overhead-types';
import { PATH_LABELS } from './overhead-types';
import { ecdfPoints, percentile } from './stats';

export const PATH_COLORS: Record<PathId, string> = {
  A: '#1f77b4',
  B: '#d62728',
  C: '#2ca02c',
  D: '#9467bd',
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

export const PLOT_WIDTH = 960;
const PANEL_HEIGHT = 330;
const FOOTER_HEIGHT = 28;

/** The ECharts option: one title, grid, pair of axes and legend per panel, one line per path. */
export function overheadChartOption(panels: PlotPanel[], footer: string): echarts.EChartsOption {
  const titles: echarts.TitleComponentOption[] = [];
  const grids: echarts.GridComponentOption[] = [];
  const xAxes: echarts.XAXisComponentOption[] = [];
  const yAxes: echarts.YAXisComponentOption[] = [];
  const legends: echarts.LegendComponentOption[] = [];
  const series: echarts.LineSeriesOption[] = [];
  panels.forEach((panel, i) => {
    const top = i * PANEL_HEIGHT;
    const paths = (Object.entries(panel.samples) as [PathId, number[]][]).filter(([, values]) => values.length > 0);
    const tails = paths.map(([, values]) => percentile(values, panel.clipPercentile ?? 99.5) as number);
    const xMax = panel.xMax ?? (tails.length ? niceCeil(Math.max(...tails) * 1.05) : 1);
    titles.push({ text: panel.title, left: 'center', top: top + 6, textStyle: { fontSize: 15 } });
    grids.push({ left: 64, right: 24, top: top + 48, height: PANEL_HEIGHT - 108 });
    xAxes.push({ gridIndex: i, type: 'value', min: panel.xMin ?? 0, max: xMax, name: panel.xLabel, nameLocation: 'middle', nameGap: 28, splitLine: { show: true } });
    yAxes.push({ gridIndex: i, type: 'value', min: 0, max: 1, interval: 0.2, name: 'fraction ≤ x', nameLocation: 'end', nameGap: 12 });
    const names: string[] = [];
    for (const [path, values] of paths) {
      const name = `${PATH_LABELS[path]} (N=${panel.counts?.[path] ?? values.length})`;
      names.push(name);
      series.push({
        type: 'line',
        name,
        xAxisIndex: i,
        yAxisIndex: i,
        data: ecdfPoints(values, 300).map((p) => [p.x, p.y]),
        showSymbol: false,
        clip: true,
        color: PATH_COLORS[path],
        lineStyle: { width: 2 },
      });
    }
    // Bottom right inside the plot, where CDFs are lowest on the right.
    const gridBottom = top + 48 + (PANEL_HEIGHT - 108);
    legends.push({ data: names, orient: 'vertical', right: 36, top: gridBottom - 22 * names.length - 14, backgroundColor: '#ffffff' });
  });
  titles.push({ text: footer, left: 8, bottom: 6, textStyle: { fontSize: 11, fontWeight: 'normal', color: '#5a5a5a' } });
  return { animation: false, backgroundColor: '#ffffff', title: titles, grid: grids, xAxis: xAxes, yAxis: yAxes, legend: legends, series };
}

/** The figure as an SVG document. */
export function renderOverheadSvg(panels: PlotPanel[], footer: string): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: PLOT_WIDTH, height: PANEL_HEIGHT * panels.length + FOOTER_HEIGHT });
  try {
    chart.setOption(overheadChartOption(panels, footer));
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** An SVG as PNG, at its own size (text in the machine's fonts). */
export function svgToPng(svg: string): Buffer {
  return new Resvg(svg, { background: '#ffffff', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
}

/** `x` rounded up to a round axis end: 6.77 → 7, 45.6 → 50, 0.123 → 0.15. */
export function niceCeil(x: number): number {
  if (!(x > 0)) return 1;
  const step = 10 ** Math.floor(Math.log10(x)) / 2;
  return Number((Math.ceil(x / step) * step).toPrecision(12));
}
