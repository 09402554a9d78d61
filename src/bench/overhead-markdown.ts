/** The overhead run as Markdown: the side-by-side table, CPU and memory, the settings and the machine. */
import type { Added, OverheadAnalysis, OverheadComparison, PathFigures } from './overhead-analysis';
import type { OverheadRaw, PathId } from './overhead-types';
import { PATH_LABELS } from './overhead-types';
import { ratio } from './stats';
import { Cell, renderMarkdownTable } from './text-table';

function num(v: number | undefined, digits: number): string | undefined {
  return v === undefined || !Number.isFinite(v) ? undefined : v.toFixed(digits);
}

function signed(v: number | undefined, digits: number, unit = ' ms'): string | undefined {
  const s = num(v, digits);
  return s === undefined ? undefined : `${(v as number) >= 0 ? '+' : ''}${s}${unit}`;
}

function times(v: number | undefined): string | undefined {
  const s = num(v, 2);
  return s === undefined ? undefined : `${s}×`;
}

/** A comparison column: its heading, and which difference (or throughput ratio) it shows. */
interface Versus {
  label: string;
  needs: PathId[];
  added: keyof Added;
  ratio: keyof OverheadComparison['throughputRatio'];
}

const VERSUS: Versus[] = [
  { label: 'B vs A', needs: ['A', 'B'], added: 'gateway', ratio: 'gatewayVsDirect' },
  { label: 'B vs D', needs: ['B', 'D'], added: 'gatewayVsBare', ratio: 'gatewayVsBare' },
  { label: 'B vs C', needs: ['B', 'C'], added: 'gatewayVsNginx', ratio: 'gatewayVsNginx' },
  { label: 'C vs A', needs: ['A', 'C'], added: 'nginx', ratio: 'nginxVsDirect' },
  { label: 'D vs A', needs: ['A', 'D'], added: 'bare', ratio: 'bareVsDirect' },
];

export function renderOverheadMarkdown(raw: OverheadRaw, analysis: OverheadAnalysis, plotFile?: string): string {
  const s = raw.settings;
  const paths = raw.paths;
  const f = (p: PathId) => analysis.paths[p];
  const c = analysis.comparison;
  const versus = VERSUS.filter((v) => v.needs.every((p) => paths.includes(p)));
  const headers = ['measure', ...paths.map((p) => PATH_LABELS[p]), ...versus.map((v) => v.label)];
  const row = (label: string, pick: (x: PathFigures) => number | undefined, digits: number, added?: Added): Cell[] => [
    label,
    ...paths.map((p) => num(f(p) && pick(f(p) as PathFigures), digits)),
    ...versus.map((v) => (added ? signed(added[v.added], digits) : times(c.throughputRatio[v.ratio]))),
  ];
  const main = renderMarkdownTable(
    headers,
    [
      row(`max throughput, req/s (c=${s.connections})`, (x) => x.throughputRps, 0),
      row('latency p50, ms (c=1)', (x) => x.c1LatencyMs.p50, 3, c.c1P50),
      row('latency p99, ms (c=1)', (x) => x.c1LatencyMs.p99, 3, c.c1P99),
      row(`latency p50, ms (${s.rateRps} req/s)`, (x) => x.rateLatencyMs.p50, 3, c.rateP50),
      row(`latency p99, ms (${s.rateRps} req/s)`, (x) => x.rateLatencyMs.p99, 3, c.rateP99),
      row(`time to first token p50, ms (streams)`, (x) => x.ttftMs.p50, 2, c.ttftP50),
      row(`time to first token p99, ms (streams)`, (x) => x.ttftMs.p99, 2, c.ttftP99),
      row(`gap distortion p99 of abs(gap − ${s.tokenMs} ms), ms`, (x) => x.gapDistortionP99Ms, 2, c.gapDistortionP99),
    ],
    ['l', ...paths.map(() => 'r' as const), ...versus.map(() => 'r' as const)],
  );

  const cpu = renderMarkdownTable(
    ['at max throughput', ...paths.map((p) => PATH_LABELS[p])],
    [
      ['proxy CPU per request, µs', ...paths.map((p) => num(f(p)?.cpuUsPerRequest.proxy, 0))],
      ['proxy CPU per request, × the bare proxy (D)', ...paths.map((p) => times(p === 'B' || p === 'C' ? ratio(f(p)?.cpuUsPerRequest.proxy, f('D')?.cpuUsPerRequest.proxy) : undefined))],
      ['simulator CPU per request, µs', ...paths.map((p) => num(f(p)?.cpuUsPerRequest.simulator, 0))],
      ['load generator CPU per request, µs', ...paths.map((p) => num(f(p)?.cpuUsPerRequest.generator, 0))],
      ['proxy cores busy', ...paths.map((p) => num(f(p)?.cpuCoresAtMax.proxy, 2))],
      ['simulator cores busy', ...paths.map((p) => num(f(p)?.cpuCoresAtMax.simulator, 2))],
      ['load generator cores busy', ...paths.map((p) => num(f(p)?.cpuCoresAtMax.generator, 2))],
      ['latency p50 / p99 at max throughput, ms', ...paths.map((p) => (f(p) ? `${num(f(p)?.loadedLatencyMs.p50, 2) ?? '–'} / ${num(f(p)?.loadedLatencyMs.p99, 2) ?? '–'}` : undefined))],
      ['errors (all measurements)', ...paths.map((p) => f(p)?.errors)],
    ],
    ['l', ...paths.map(() => 'r' as const)],
  );

  const idlePaths = paths.filter((p) => f(p)?.idle);
  const idle = idlePaths.length
    ? renderMarkdownTable(
        [`holding ${s.idleStreams} streams`, ...idlePaths.map((p) => PATH_LABELS[p])],
        [
          ['streams flowing / opened', ...idlePaths.map((p) => `${f(p)?.idle?.flowing} / ${f(p)?.idle?.streams}`)],
          ['resident memory before, MB', ...idlePaths.map((p) => num(f(p)?.idle?.rssBeforeMb, 1))],
          ['resident memory holding, MB', ...idlePaths.map((p) => num(f(p)?.idle?.rssHoldingMb, 1))],
          ['per stream, KB', ...idlePaths.map((p) => num(f(p)?.idle?.kbPerStream, 1))],
        ],
        ['l', ...idlePaths.map(() => 'r' as const)],
      )
    : '_Idle streams not measured._\n';

  const m = raw.machine;
  const lines = [
    `Run ${raw.startedAt} → ${raw.finishedAt}. Model port of \`${s.model}\` (served as \`${s.servedName}\`).`,
    '',
    main,
    'A: load → simulator (instant profile). B: load → gateway model port → simulator. C: load → nginx → simulator. D: load → bare Node proxy (node:http + undici Pool, no framework) → simulator. ' +
      'Throughput: the median over rounds; latencies pool every round. "B vs A" is a ratio for throughput and a difference of percentiles for the rest; "B vs D" is the cost of the framework and the gateway\'s own features on top of Node.',
    '',
    '**CPU at max throughput**',
    '',
    cpu,
    `**Resident memory holding ${s.idleStreams} idle-ish streams** (a token every ${s.idleTokenMs} ms, ${s.idleReplicas} simulator replica(s))`,
    '',
    idle,
    ...(plotFile ? [`![latency CDFs per path](${plotFile})`, ''] : []),
    '**Settings**',
    '',
    `- ${s.rounds} round(s), ${s.durationS} s per measurement, ${s.warmupS} s warm-up per path and phase, paths in rotating order each round`,
    `- max throughput and c=1: closed loop with ${s.loadGenerator === 'wrk' ? 'wrk (1 thread)' : 'the Node load generator (separate process)'}, ${s.connections} connections; fixed rate: the Node generator, open loop, ${s.rateRps} req/s (${s.rateChoice === 'auto' ? 'a quarter of the slowest path in round 1' : 'given'})`,
    `- requests: chat completions, ${s.requestMaxTokens} tokens (ignore_eos); streams: ${s.streamTokens} tokens ${s.tokenMs} ms apart, ${s.streamConcurrency} at a time`,
    `- nginx: ${raw.tools.nginx ?? 'not installed (C skipped)'}, ${s.nginxWorkers} worker; wrk: ${raw.tools.wrk ?? 'not installed'}`,
    ...raw.notes.map((n) => `- ${n}`),
    '',
    '**Machine**',
    '',
    `- ${m.cpuModel}, ${m.cores} cores${m.virtualization ? ` (${m.virtualization})` : ''}, ${m.memoryGb} GB; ${m.os}; Node ${m.node}; 1-minute load average ${m.loadAverage} at the start${m.loadAverageEnd !== undefined ? `, ${m.loadAverageEnd} at the end` : ''}`,
    '',
  ];
  return lines.join('\n');
}
