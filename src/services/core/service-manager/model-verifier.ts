import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';

/** The manifest a model directory may hold, in `sha256sum` format (`sha256sum -c model.sha256`). */
export const CHECKSUM_MANIFEST = 'model.sha256';

export interface ChecksumEntry {
  file: string;
  sha256: string;
  line: number;
}

export interface ParsedManifest {
  entries: ChecksumEntry[];
  /** 1-based numbers of lines that are neither blank, a comment, nor a checksum line. */
  malformed: number[];
}

export interface VerifyReport {
  dir: string;
  manifest: string;
  ok: boolean;
  verified: string[];
  mismatched: { file: string; expected: string; actual: string }[];
  missing: string[];
  unreadable: { file: string; error: string }[];
  /** Entries naming a file outside the model directory (refused, not read). */
  outside: string[];
  malformed: number[];
}

export interface ModelVerifierOptions {
  /** Progress lines (default: standard error). */
  progress?: (line: string) => void;
  /** Files at least this big report progress while they are hashed (default 1 GiB). */
  progressThresholdBytes?: number;
}

/**
 * Checks a model directory against its `model.sha256`. Files are hashed as streams, a chunk at a
 * time, so a 20 GB shard never sits in memory.
 */
export class ModelVerifier {
  private readonly progress: (line: string) => void;
  private readonly threshold: number;

  constructor(options: ModelVerifierOptions = {}) {
    this.progress = options.progress ?? ((line) => process.stderr.write(line + '\n'));
    this.threshold = options.progressThresholdBytes ?? 1024 ** 3;
  }

  /**
   * Reads `sha256sum` output: `<64 hex> <space or *><name>`, the BSD form `SHA256 (<name>) = <hex>`,
   * and sha256sum's escaped lines (a leading `\`, with `\\` and `\n` in the name).
   */
  static parseManifest(text: string): ParsedManifest {
    const entries: ChecksumEntry[] = [];
    const malformed: number[] = [];
    text.split('\n').forEach((raw, index) => {
      const line = raw.replace(/\r$/, '');
      if (line.trim() === '' || line.startsWith('#')) return;
      const escaped = line.startsWith('\\');
      const body = escaped ? line.slice(1) : line;
      const gnu = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(body);
      const bsd = /^SHA256 \((.+)\) = ([0-9a-fA-F]{64})$/.exec(body);
      const [sha256, name] = gnu ? [gnu[1], gnu[2]] : bsd ? [bsd[2], bsd[1]] : [undefined, undefined];
      if (!sha256 || !name) {
        malformed.push(index + 1);
        return;
      }
      entries.push({ file: escaped ? unescapeName(name) : name, sha256: sha256.toLowerCase(), line: index + 1 });
    });
    return { entries, malformed };
  }

  /** The SHA-256 of a file, read as a stream; progress every 10% for big files. */
  async hashFile(path: string, label = path): Promise<string> {
    const size = (await stat(path)).size;
    const hash = createHash('sha256');
    const report = size >= this.threshold && size > 0;
    let done = 0;
    let nextTenth = 1;
    const stream = createReadStream(path, { highWaterMark: 4 * 1024 * 1024 });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      done += chunk.length;
      if (report && done * 10 >= nextTenth * size) {
        while (done * 10 >= nextTenth * size) nextTenth++;
        this.progress(`hashing ${label}: ${Math.floor((done * 100) / size)}% (${gib(done)} of ${gib(size)} GiB)`);
      }
    }
    return hash.digest('hex');
  }

  async verify(dir: string): Promise<VerifyReport> {
    const manifest = join(dir, CHECKSUM_MANIFEST);
    const { entries, malformed } = ModelVerifier.parseManifest(await readFile(manifest, 'utf8'));
    const report: VerifyReport = { dir, manifest, ok: false, verified: [], mismatched: [], missing: [], unreadable: [], outside: [], malformed };
    for (const entry of entries) {
      const rel = normalize(entry.file);
      if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) {
        report.outside.push(entry.file);
        continue;
      }
      const path = join(dir, rel);
      let actual: string;
      try {
        actual = await this.hashFile(path, entry.file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') report.missing.push(entry.file);
        else report.unreadable.push({ file: entry.file, error: (error as Error).message });
        continue;
      }
      if (actual === entry.sha256) report.verified.push(entry.file);
      else report.mismatched.push({ file: entry.file, expected: entry.sha256, actual });
    }
    report.ok =
      entries.length > 0 &&
      report.mismatched.length === 0 &&
      report.missing.length === 0 &&
      report.unreadable.length === 0 &&
      report.outside.length === 0 &&
      report.malformed.length === 0;
    return report;
  }

  /** One line per file in `sha256sum -c` style, then the problems, then a summary. */
  static formatReport(report: VerifyReport): string[] {
    const lines = report.verified.map((f) => `${f}: OK`);
    for (const m of report.mismatched) lines.push(`${m.file}: FAILED checksum (expected ${m.expected}, got ${m.actual})`);
    for (const f of report.missing) lines.push(`${f}: FAILED missing`);
    for (const u of report.unreadable) lines.push(`${u.file}: FAILED unreadable (${u.error})`);
    for (const f of report.outside) lines.push(`${f}: FAILED outside the model directory`);
    for (const n of report.malformed) lines.push(`${report.manifest}:${n}: FAILED improperly formatted line`);
    lines.push(ModelVerifier.summary(report));
    return lines;
  }

  static summary(report: VerifyReport): string {
    const total = report.verified.length + report.mismatched.length + report.missing.length + report.unreadable.length + report.outside.length;
    if (report.ok) return `${report.verified.length} of ${total} files match ${report.manifest}`;
    if (total === 0 && report.malformed.length === 0) return `${report.manifest} lists no files`;
    const parts = [
      report.mismatched.length && `${report.mismatched.length} changed (${report.mismatched.map((m) => m.file).join(', ')})`,
      report.missing.length && `${report.missing.length} missing (${report.missing.join(', ')})`,
      report.unreadable.length && `${report.unreadable.length} unreadable (${report.unreadable.map((u) => u.file).join(', ')})`,
      report.outside.length && `${report.outside.length} outside the directory (${report.outside.join(', ')})`,
      report.malformed.length && `${report.malformed.length} improperly formatted line${report.malformed.length === 1 ? '' : 's'}`,
    ].filter(Boolean);
    return `${parts.join(', ')}; ${report.verified.length} of ${total} files match`;
  }
}

function unescapeName(name: string): string {
  return name.replace(/\\(\\|n|r)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
}

function gib(bytes: number): string {
  return (bytes / 1024 ** 3).toFixed(1);
}
