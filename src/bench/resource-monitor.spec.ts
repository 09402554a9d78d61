import { ProcResourceSource, ResourceMonitor, summarizeResources, toResourcePoints } from './resource-monitor';

describe('resource readings', () => {
  it('turns cumulative CPU seconds into cores per interval', () => {
    const points = toResourcePoints([
      { at: 1000, rssBytes: 10, cpuSeconds: 5 },
      { at: 1500, rssBytes: 30, cpuSeconds: 5.5 },
      { at: 2500, rssBytes: 20, cpuSeconds: 5.75 },
      { at: 3000, rssBytes: 20 },
    ]);
    expect(points.map((p) => p.t)).toEqual([0, 0.5, 1.5, 2]);
    expect(points.map((p) => p.cpuCores)).toEqual([undefined, 1, 0.25, undefined]);
  });

  it('summarizes baseline, peaks and mean CPU', () => {
    const r = summarizeResources('src', [
      { at: 0, rssBytes: 10, cpuSeconds: 1 },
      { at: 1000, rssBytes: 30, cpuSeconds: 3 },
      { at: 2000, rssBytes: 20, cpuSeconds: 3.5 },
    ]);
    expect(r).toMatchObject({ source: 'src', samples: 3, baselineRssBytes: 10, peakRssBytes: 30, peakCpuCores: 2, meanCpuCores: 1.25 });
    expect(summarizeResources('none', [])).toMatchObject({ samples: 0, peakRssBytes: undefined, peakCpuCores: undefined });
  });

  it('samples this very process from /proc', async () => {
    const monitor = new ResourceMonitor(new ProcResourceSource([process.pid], false), 20);
    await monitor.start();
    let x = 0;
    for (let i = 0; i < 2e6; i++) x += Math.sqrt(i);
    expect(x).toBeGreaterThan(0);
    const report = await monitor.stop();
    expect(report.samples).toBeGreaterThanOrEqual(2);
    expect(report.peakRssBytes).toBeGreaterThan(1024 * 1024);
    expect(report.source).toBe(`/proc/${process.pid}`);
  });
});
