import { niceCeil, PLOT_WIDTH, renderOverheadSvg, svgToPng } from './overhead-plot';

describe('overhead plot', () => {
  const ramp = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i / n);
  const panels = [
    { title: 'Latency CDF, one connection', xLabel: 'latency, ms', samples: { A: ramp(0.2, 500), B: ramp(0.6, 500) }, counts: { A: 3003, B: 2990 }, clipPercentile: 99 },
    { title: 'Streaming: gaps between chunks', xLabel: 'gap, ms', samples: { A: ramp(19, 400), B: ramp(19.5, 400), C: [] }, xMin: 17, xMax: 23 },
  ];

  it('draws one titled panel per measurement and one line per path with samples, in its colour', () => {
    const svg = renderOverheadSvg(panels, 'footer line');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain(`width="${PLOT_WIDTH}"`);
    for (const text of ['Latency CDF, one connection', 'Streaming: gaps between chunks', 'A direct (N=3003)', 'B gateway (N=2990)', 'A direct (N=400)', 'footer line']) expect(svg).toContain(text);
    // A path without samples gets no line and no legend entry.
    expect(svg).not.toContain('C nginx');
    expect(svg.match(/stroke="#1f77b4"/g)?.length).toBeGreaterThanOrEqual(2);
    expect(svg.match(/stroke="#d62728"/g)?.length).toBeGreaterThanOrEqual(2);
  });

  it('renders the SVG as a PNG of the same width', () => {
    const png = svgToPng(renderOverheadSvg(panels, 'footer'));
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(PLOT_WIDTH);
  });
});

describe('niceCeil', () => {
  it.each([
    [6.77376, 7],
    [45.59, 50],
    [0.123, 0.15],
    [10, 10],
    [0, 1],
  ])('%p → %p', (x, nice) => {
    expect(niceCeil(x)).toBe(nice);
  });
});
