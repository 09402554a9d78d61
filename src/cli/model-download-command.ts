import { readFile } from 'node:fs/promises';
import { ModelServiceConfig } from '../config/model-config';
import { DEFAULT_HUB_URL, ModelDownloader, resolveHubToken } from '../services/core/service-manager/model-downloader';

export interface DownloadCommandOptions {
  revision?: string;
  /** --hub-url; else HF_ENDPOINT (huggingface-cli's variable); else huggingface.co. */
  hubUrl?: string;
  tokenFile?: string;
  include?: string[];
  exclude?: string[];
  env: NodeJS.ProcessEnv;
  println: (line: string) => void;
  eprintln: (line: string) => void;
  fetch?: typeof fetch;
}

/**
 * `services download <model|all>`: each model's `model.name` from the Hub into its `model.path`,
 * one after another, then `model.sha256`. Resolves the exit code: 0 all fetched, 1 one failed.
 */
export async function downloadModels(models: readonly ModelServiceConfig[], options: DownloadCommandOptions): Promise<number> {
  const { token, source } = await resolveHubToken(options.env, options.tokenFile, (path) => readFile(path, 'utf8'));
  const hubUrl = (options.hubUrl ?? options.env.HF_ENDPOINT ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
  options.eprintln(`hub ${hubUrl}, ${source ? `token from ${source}` : 'no token'}`);
  for (const model of models) {
    const downloader = new ModelDownloader({
      repo: model.model.name,
      dir: model.model.path,
      revision: options.revision,
      hubUrl,
      accessToken: token,
      include: options.include,
      exclude: options.exclude,
      progress: options.eprintln,
      fetch: options.fetch,
    });
    try {
      const report = await downloader.download();
      const fetched = report.files.filter((f) => f.outcome !== 'present').length;
      options.println(`${model.id}: ${report.files.length} files of ${report.repo}@${report.revision} in ${report.dir} (${fetched} fetched); wrote ${report.manifest}`);
    } catch (error) {
      options.eprintln(`${model.id}: download of ${model.model.name} failed: ${(error as Error).message}`);
      return 1;
    }
  }
  return 0;
}
