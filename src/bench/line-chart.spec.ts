import { drawLineChart, formatTick, niceTicks } from './line-chart';
import { Raster } from './raster';

describe('line chart', () => {
  it('picks round ticks covering the range', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 27, 8)).toEqual([0, 5, 10, 15, 20, 25]);
    expect(niceTicks(12, 28, 8)).toEqual([12, 14, 16, 18, 20, 22, 24, 26, 28]);
    expect(niceTicks(5, 5)).toEqual([5]);
  });

  it('formats tick labels without needless decimals', () => {
    expect(formatTick(0)).toBe('0');
    expect(formatTick(0.2)).toBe('0.2');
    expect(formatTick(2.5)).toBe('2.5');
    expect(formatTick(1500)).toBe('1500');
    expect(formatTick(0.125)).toBe('0.125');
  });

  it('draws series in their colours inside the frame', () => {
    const r = new Raster(400, 300);
    drawLineChart(r, { x: 0, y: 0, w: 400, h: 300 }, {
      title: 'T',
      xLabel: 'X',
      yLabel: 'Y',
      xMin: 0,
      xMax: 10,
      yMin: 0,
      yMax: 1,
      series: [{ label: 'S', color: [1, 2, 3], points: [{ x: 0, y: 0 }, { x: 10, y: 1 }] }],
    });
    let coloured = 0;
    for (let y = 0; y < r.height; y++) for (let x = 0; x < r.width; x++) if (r.get(x, y).join() === '1,2,3') coloured++;
    expect(coloured).toBeGreaterThan(200);
  });
});
