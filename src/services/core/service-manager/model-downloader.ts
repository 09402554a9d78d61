import { downloadFile, listFiles, ListFileEntry } from '@huggingface/hub';
import { createHash, Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { minimatch } from 'minimatch';
import { CHECKSUM_MANIFEST } from './model-verifier';

/** huggingface-cli's default endpoint; HF_ENDPOINT or --hub-url replace it (a mirror, a test server). */
export const DEFAULT_HUB_URL = 'https://huggingface.co';
/** Suffix of a file being downloaded; its bytes are kept so the next run resumes from them. */
export const PARTIAL_SUFFIX = '.incomplete';

export interface DownloadOptions {
  /** The Hub repository, e.g. microsoft/Phi-3-mini-4k-instruct (the model's `model.name`). */
  repo: string;
  /** Where the files go (the model's `model.path`). */
  dir: string;
  revision?: string;
  hubUrl?: string;
  /** Never printed; only its source is. */
  accessToken?: string;
  /** Glob patterns (huggingface-cli's --include/--exclude); empty include means every file. */
  include?: readonly string[];
  exclude?: readonly string[];
  /** Progress lines (default: standard error). */
  progress?: (line: string) => void;
  /** Files at least this big report progress every 10% (default 64 MiB). */
  progressThresholdBytes?: number;
  fetch?: typeof fetch;
}

export type FileOutcome = 'downloaded' | 'resumed' | 'present';

export interface DownloadedFile {
  path: string;
  bytes: number;
  sha256: string;
  outcome: FileOutcome;
}

export interface DownloadReport {
  repo: string;
  revision: string;
  dir: string;
  manifest: string;
  files: DownloadedFile[];
}

/** The Hub answered something the download cannot trust (a bad path, a size or digest that differs). */
export class DownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DownloadError';
  }
}

/**
 * Fetches a model repository from the Hugging Face Hub with @huggingface/hub and writes
 * `model.sha256` from the Hub's own metadata: an LFS file's `lfs.oid` is the SHA-256 the Hub
 * published; a small (non-LFS) file has only a git blob id, so its bytes are checked against that
 * id and their SHA-256 is computed here. Each file is written to `<name>.incomplete` and renamed
 * once its digest matches; a run after an interruption asks only for the missing bytes (a Range
 * request). A complete file of the listed size is kept as it is: `services verify-model` (or
 * `sha256sum -c model.sha256`) reads it in full.
 */
export class ModelDownloader {
  private readonly progress: (line: string) => void;

  constructor(private readonly options: DownloadOptions) {
    this.progress = options.progress ?? ((line) => process.stderr.write(line + '\n'));
  }

  async download(): Promise<DownloadReport> {
    try {
      return await this.run();
    } catch (error) {
      throw hubError(error, this.options);
    }
  }

  private async run(): Promise<DownloadReport> {
    const o = this.options;
    const revision = o.revision ?? 'main';
    const entries = await this.list(revision);
    const total = entries.reduce((sum, e) => sum + fileSize(e), 0);
    this.progress(`${o.repo}@${revision}: ${entries.length} files, ${human(total)} into ${o.dir}`);
    await mkdir(o.dir, { recursive: true });
    const files: DownloadedFile[] = [];
    for (const [index, entry] of entries.entries()) {
      files.push(await this.fetchFile(entry, revision, `[${index + 1}/${entries.length}]`));
    }
    const manifest = join(o.dir, CHECKSUM_MANIFEST);
    const lines = files.map((f) => `${f.sha256}  ${f.path}\n`).join('');
    await writeFile(`${manifest}${PARTIAL_SUFFIX}`, lines);
    await rename(`${manifest}${PARTIAL_SUFFIX}`, manifest);
    return { repo: o.repo, revision, dir: o.dir, manifest, files };
  }

  /** The repository's files (every folder), filtered by include/exclude, sorted by path. */
  private async list(revision: string): Promise<ListFileEntry[]> {
    const o = this.options;
    const entries: ListFileEntry[] = [];
    for await (const entry of listFiles({ repo: o.repo, revision, recursive: true, hubUrl: o.hubUrl, accessToken: o.accessToken, fetch: o.fetch })) {
      if (entry.type !== 'file') continue;
      const rel = normalize(entry.path);
      if (entry.path === '' || isAbsolute(entry.path) || rel === '..' || rel.startsWith(`..${sep}`) || entry.path.includes('\\')) {
        throw new DownloadError(`the Hub listed a file outside the model directory: ${JSON.stringify(entry.path)}`);
      }
      // Our own manifest is written from the listing; a repository's copy would be overwritten.
      if (entry.path === CHECKSUM_MANIFEST) continue;
      if (o.include?.length && !o.include.some((p) => minimatch(entry.path, p, { dot: true }))) continue;
      if (o.exclude?.some((p) => minimatch(entry.path, p, { dot: true }))) continue;
      if (!entry.lfs && !entry.oid) throw new DownloadError(`the Hub listed ${entry.path} with neither an LFS SHA-256 nor a git blob id`);
      entries.push(entry);
    }
    return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  private async fetchFile(entry: ListFileEntry, revision: string, counter: string): Promise<DownloadedFile> {
    const o = this.options;
    const size = fileSize(entry);
    const target = join(o.dir, entry.path);
    const partial = target + PARTIAL_SUFFIX;
    await mkdir(dirname(target), { recursive: true });

    const existing = await sizeOf(target);
    if (existing === size) {
      // A small file is cheap to check against its git blob id; a weight file keeps its size check
      // here and gets its full read from verify-model.
      const small = entry.lfs ? undefined : (await this.digest(target, 0, entry)).result();
      if (!small || small.matches) {
        this.progress(`${counter} ${entry.path}: present (${human(size)})`);
        return { path: entry.path, bytes: size, sha256: small?.sha256 ?? entry.lfs!.oid.toLowerCase(), outcome: 'present' };
      }
      this.progress(`${counter} ${entry.path}: differs from the Hub's (${small.problem}); fetching it again`);
    }

    let offset = (await sizeOf(partial)) ?? 0;
    if (offset > size) {
      await rm(partial);
      offset = 0;
    }
    const hashes = await this.digest(partial, offset, entry);
    if (offset < size) {
      const blob = await downloadFile({ repo: o.repo, path: entry.path, revision, hubUrl: o.hubUrl, accessToken: o.accessToken, fetch: o.fetch });
      if (!blob) throw new DownloadError(`${entry.path}: listed by the Hub but not found at revision ${revision}`);
      if (blob.size !== size) throw new DownloadError(`${entry.path}: the Hub lists ${size} bytes but serves ${blob.size}`);
      this.progress(`${counter} ${entry.path}: ${offset > 0 ? `resuming at ${human(offset)} of` : 'fetching'} ${human(size)}`);
      let done = offset;
      let nextTenth = Math.floor((offset * 10) / Math.max(size, 1)) + 1;
      const report = size >= (o.progressThresholdBytes ?? 64 * 1024 ** 2);
      const measure = (chunk: Buffer) => {
        hashes.update(chunk);
        done += chunk.length;
        if (report && done * 10 >= nextTenth * size) {
          while (done * 10 >= nextTenth * size) nextTenth++;
          this.progress(`${counter} ${entry.path}: ${Math.floor((done * 100) / size)}% (${human(done)} of ${human(size)})`);
        }
      };
      const body = blob.slice(offset).stream() as unknown as AsyncIterable<Uint8Array>;
      await pipeline(
        body,
        async function* (source: AsyncIterable<Uint8Array>) {
          for await (const chunk of source) {
            const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
            measure(buffer);
            yield buffer;
          }
        },
        createWriteStream(partial, { flags: offset > 0 ? 'a' : 'w' }),
      );
      if (done !== size) {
        // A server that ignored the Range header, or a body cut short: the bytes on disk are not the file.
        await rm(partial, { force: true });
        throw new DownloadError(`${entry.path}: received ${done} of ${size} bytes; run the download again`);
      }
    }
    const digest = hashes.result();
    if (!digest.matches) {
      await rm(partial, { force: true });
      throw new DownloadError(`${entry.path}: ${digest.problem}; the partial file was removed, run the download again`);
    }
    await rename(partial, target);
    return { path: entry.path, bytes: size, sha256: digest.sha256, outcome: offset > 0 ? 'resumed' : 'downloaded' };
  }

  /** The digests of a file's first `bytes` bytes (all of them when 0 is passed for a complete file). */
  private async digest(path: string, bytes: number, entry: ListFileEntry): Promise<EntryHashes> {
    const hashes = new EntryHashes(entry);
    const size = bytes || ((await sizeOf(path)) ?? 0);
    if (size > 0) {
      for await (const chunk of createReadStream(path, { start: 0, end: size - 1, highWaterMark: 4 * 1024 * 1024 }) as AsyncIterable<Buffer>) {
        hashes.update(chunk);
      }
    }
    return hashes;
  }
}

/**
 * The digests that tie a file to the Hub's listing: SHA-256 always; for a file outside LFS also
 * git's blob id (SHA-1 of `blob <size>\0` and the bytes), the only digest the Hub lists for it.
 */
class EntryHashes {
  private readonly contentHash: Hash = createHash('sha256');
  private readonly gitBlob?: Hash;

  constructor(private readonly entry: ListFileEntry) {
    if (!entry.lfs) this.gitBlob = createHash('sha1').update(`blob ${entry.size}\0`);
  }

  update(chunk: Buffer): void {
    this.contentHash.update(chunk);
    this.gitBlob?.update(chunk);
  }

  result(): { sha256: string; matches: boolean; problem?: string } {
    const sha256 = this.contentHash.digest('hex');
    if (this.entry.lfs) {
      const expected = this.entry.lfs.oid.toLowerCase();
      return { sha256, matches: sha256 === expected, problem: `SHA-256 ${sha256} differs from the Hub's LFS oid ${expected}` };
    }
    const blob = this.gitBlob!.digest('hex');
    const expected = (this.entry.oid ?? '').toLowerCase();
    return { sha256, matches: blob === expected, problem: `git blob id ${blob} differs from the Hub's ${expected}` };
  }
}

/** A Hub API error (HubApiError: statusCode, url) as a DownloadError saying what to do about it. */
function hubError(error: unknown, options: DownloadOptions): unknown {
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status !== 'number') return error;
  const hint =
    status === 401 || status === 403
      ? options.accessToken
        ? ': the token has no access to this repository (a gated model needs its licence accepted on the Hub)'
        : ': a gated or private repository needs a token (HF_TOKEN, --token-file or huggingface-cli login)'
      : status === 404
        ? `: no repository ${options.repo} (or revision) at ${options.hubUrl ?? DEFAULT_HUB_URL}`
        : '';
  return new DownloadError(`the Hub answered ${status}${hint} (${(error as Error).message})`);
}

function fileSize(entry: ListFileEntry): number {
  return entry.lfs?.size ?? entry.size;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function human(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

export interface HubToken {
  token?: string;
  /** Where the token came from, for the log line (the token itself is never printed). */
  source?: string;
}

/**
 * The Hub token as huggingface-cli finds it: HF_TOKEN, else the file HF_TOKEN_PATH names, else
 * `$HF_HOME/token` (HF_HOME defaults to ~/.cache/huggingface). `tokenFile` (--token-file) wins.
 */
export async function resolveHubToken(env: NodeJS.ProcessEnv, tokenFile: string | undefined, readText: (path: string) => Promise<string>): Promise<HubToken> {
  if (tokenFile) return { token: (await readText(tokenFile)).trim() || undefined, source: tokenFile };
  if (env.HF_TOKEN?.trim()) return { token: env.HF_TOKEN.trim(), source: 'HF_TOKEN' };
  const home = env.HF_HOME || join(env.HOME || homedir(), '.cache', 'huggingface');
  const path = env.HF_TOKEN_PATH || join(home, 'token');
  try {
    const token = (await readText(path)).trim();
    return token ? { token, source: path } : {};
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}
