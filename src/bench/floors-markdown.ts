/** A `bench floors` run as Markdown: the table per path, the errors, how the figures were taken. */
import type { FloorsAnalysis } from './floors-analysis';
import type { FloorsRaw } from './floors-types';
import { FLOORS_PATH_LABELS } from './floors-types';
import { renderMarkdownTable } from './text-table';

function num(v: number | undefined, digits: number): string | undefined {
  return v === undefined || !Number.isFinite(v) ? undefined : v.toFixed(digits);
}

function times(v: number | undefined): string | undefined {
  const s = num(v, 2);
  return s === undefined ? undefined : `${s}×`;
}

const list = (values: (number | undefined)[], digits: number) => values.map((v) => num(v, digits) ?? 'n/a').join(', ');

export function renderFloorsMarkdown(raw: FloorsRaw, analysis: FloorsAnalysis): string {
  const s = raw.settings;
  const m = raw.machine;
  const rows = raw.paths.map((p) => {
    const f = analysis.paths[p];
    return [
      FLOORS_PATH_LABELS[p],
      num(f?.cpuUsPerRequest, 1),
      times(f?.cpuVsBare),
      num(f?.rps, 0),
      times(f?.rpsVsBare),
      f?.errors ?? 0,
      list(f?.rounds.map((r) => r.cpuUsPerRequest) ?? [], 1),
      list(f?.rounds.map((r) => r.rps) ?? [], 0),
    ];
  });
  const table = renderMarkdownTable(
    ['path', 'proxy CPU µs/request', 'vs D', 'req/s', 'vs D', 'errors', 'CPU µs/request by round', 'req/s by round'],
    rows,
    ['l', 'r', 'r', 'r', 'r', 'r', 'l', 'l'],
  );
  const errors = analysis.withErrors.length
    ? analysis.withErrors
        .map((p) => {
          const kinds = Object.entries(analysis.paths[p]?.errorKinds ?? {}).map(([k, n]) => `${n} × ${k === 'error' ? 'socket error' : k}`);
          return `- **${FLOORS_PATH_LABELS[p]} had errors** (${kinds.join(', ') || `${analysis.paths[p]?.errors} errors`}): its figures are not those of a proxy that answered every request.`;
        })
        .join('\n')
    : '- Every path answered every request with 2xx: no other status, no socket error.';
  const versions = Object.entries(raw.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `## Framework floors: what each layer under the gateway costs

${raw.startedAt.slice(0, 16).replace('T', ' ')} UTC · ${m.cores} cores (${m.cpuModel}) · load average ${m.loadAverage}${m.loadAverageEnd !== undefined ? ` → ${m.loadAverageEnd}` : ''} · ${s.rounds} round(s) × ${s.durationS} s at ${s.connections} connections after ${s.warmupS} s of warm-up per path, paths in rotating order · load: ${s.loadGenerator} · POST /v1/chat/completions, max_tokens ${s.maxTokens}, to a simulator with the instant profile (${s.model}, served as ${s.servedName})

${table}
${errors}

- **Proxy CPU µs/request**: the proxy process's user + system CPU time (from /proc/<pid>/stat) over the measured window, divided by its 2xx answers; the median over rounds. **req/s**: 2xx answers per second, the median over rounds. "vs D" is the ratio of a path's median to D's.
- The paths, bottom to top: D pipes bytes with no parsing; the three floors each parse the body, check it names its model, relay the raw bytes with undici and buffer the answer, on node:http alone, as a Fastify route, and as a Nest controller on Fastify; B is the gateway's model port (\`serve ${s.model}\`, engine external). Neighbours' gaps are what each layer costs.
- Versions: ${versions}.
${raw.notes.map((n) => `- ${n}`).join('\n')}
`;
}
