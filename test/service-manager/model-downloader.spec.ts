import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DownloadError, ModelDownloader, PARTIAL_SUFFIX, resolveHubToken } from '../../src/services/core/service-manager/model-downloader';
import { ModelVerifier } from '../../src/services/core/service-manager/model-verifier';
import { runServiceManagerCommand } from '../../src/cli/service-manager-cli';
import { FakeHub, HubFile, sha256 } from './fake-hub';
import { captureOutput, NEUTRAL_CWD, removeTempDirs, tempDir } from './helpers';

// The Hub's API as @huggingface/hub calls it (listFiles: /api/models/<repo>/tree/<rev>;
// downloadFile: /<repo>/resolve/<rev>/<path> with Range), served on loopback by FakeHub.
const REPO_ID = 'acme/tiny-chat';

function repoFiles(): HubFile[] {
  return [
    { path: 'config.json', content: Buffer.from(JSON.stringify({ max_position_embeddings: 2048 })) },
    { path: 'tokenizer/tokenizer.json', content: Buffer.from('{"model":{"type":"BPE"}}') },
    { path: 'model-00001-of-00002.safetensors', content: randomBytes(300_000), lfs: true },
    { path: 'model-00002-of-00002.safetensors', content: randomBytes(200_000), lfs: true },
    { path: 'consolidated.00.pt', content: randomBytes(1000), lfs: true },
  ];
}

describe('ModelDownloader against a Hub-shaped server on loopback', () => {
  let hub: FakeHub;
  const lines: string[] = [];
  const downloader = (dir: string, extra: Partial<ConstructorParameters<typeof ModelDownloader>[0]> = {}) =>
    new ModelDownloader({ repo: REPO_ID, dir, hubUrl: hub.url, progress: (l) => lines.push(l), progressThresholdBytes: 100_000, ...extra });

  afterEach(async () => {
    await hub?.stop();
    lines.length = 0;
    removeTempDirs();
  });

  it('fetches every listed file (paged tree, nested folders, LFS via a CDN redirect) and writes model.sha256 that sha256sum -c and verify-model accept', async () => {
    hub = await new FakeHub(REPO_ID, repoFiles(), { pageSize: 2 }).start();
    const dir = join(tempDir(), 'model');
    const report = await downloader(dir).download();

    for (const f of hub.files) expect(readFileSync(join(dir, f.path)).equals(f.content)).toBe(true);
    expect(report.files.map((f) => f.outcome)).toEqual(['downloaded', 'downloaded', 'downloaded', 'downloaded', 'downloaded']);
    const manifest = readFileSync(join(dir, 'model.sha256'), 'utf8');
    // The LFS entries carry exactly the SHA-256 the Hub listed (lfs.oid).
    for (const f of hub.files) expect(manifest).toContain(`${sha256(f.content)}  ${f.path}\n`);
    expect(manifest.trim().split('\n')).toHaveLength(hub.files.length);

    const check = spawnSync('sha256sum', ['-c', 'model.sha256'], { cwd: dir, encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    expect((await new ModelVerifier({ progress: () => undefined }).verify(dir)).ok).toBe(true);
    expect(lines.some((l) => /model-00001-of-00002\.safetensors: \d+%/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes(PARTIAL_SUFFIX))).toBe(false);
  });

  it('resumes a file from its .incomplete bytes with a Range request, and keeps files already complete', async () => {
    hub = await new FakeHub(REPO_ID, repoFiles()).start();
    const dir = tempDir();
    const big = hub.files[2];
    writeFileSync(join(dir, big.path + PARTIAL_SUFFIX), big.content.subarray(0, 120_000));
    writeFileSync(join(dir, 'config.json'), hub.files[0].content);

    const report = await downloader(dir).download();

    expect(report.files.find((f) => f.path === big.path)?.outcome).toBe('resumed');
    expect(report.files.find((f) => f.path === 'config.json')?.outcome).toBe('present');
    expect(readFileSync(join(dir, big.path)).equals(big.content)).toBe(true);
    expect(existsSync(join(dir, big.path + PARTIAL_SUFFIX))).toBe(false);
    expect(hub.requests.some((r) => r.url.includes('/cdn/') && r.range === `bytes=120000-${big.content.length - 1}`)).toBe(true);
    // Only the missing bytes (and the one-byte size probe) crossed the wire; config.json was not fetched.
    expect(hub.bytesServed.get(big.path)).toBe(big.content.length - 120_000 + 1);
    expect(hub.bytesServed.get('config.json')).toBeUndefined();
    expect(spawnSync('sha256sum', ['-c', 'model.sha256'], { cwd: dir }).status).toBe(0);
  });

  it('refuses bytes that differ from the listing (LFS SHA-256, git blob id of a small file) and removes them; a local small file that differs is fetched again', async () => {
    const files = repoFiles();
    files[3].served = Buffer.from(files[3].content).fill(7, 0, 10);
    hub = await new FakeHub(REPO_ID, files).start();
    const dir = tempDir();
    await expect(downloader(dir).download()).rejects.toThrow(/model-00002-of-00002\.safetensors: SHA-256 [0-9a-f]{64} differs from the Hub's LFS oid/);
    expect(existsSync(join(dir, files[3].path))).toBe(false);
    expect(existsSync(join(dir, files[3].path + PARTIAL_SUFFIX))).toBe(false);
    expect(existsSync(join(dir, 'model.sha256'))).toBe(false);
    await hub.stop();

    const small = repoFiles();
    small[0].served = Buffer.from(small[0].content.toString().replace('2048', '4096'));
    hub = await new FakeHub(REPO_ID, small).start();
    await expect(downloader(tempDir()).download()).rejects.toThrow(/config\.json: git blob id [0-9a-f]{40} differs from the Hub's/);
    await hub.stop();

    const fine = repoFiles();
    hub = await new FakeHub(REPO_ID, fine).start();
    const local = tempDir();
    writeFileSync(join(local, 'config.json'), Buffer.from(fine[0].content.toString().replace('2048', '4096')));
    const report = await downloader(local).download();
    expect(report.files.find((f) => f.path === 'config.json')?.outcome).toBe('downloaded');
    expect(readFileSync(join(local, 'config.json')).equals(fine[0].content)).toBe(true);
  });

  it('rejects listed paths outside the model directory (.., absolute, backslash)', async () => {
    for (const path of ['../escape.bin', '/etc/passwd', 'a\\..\\b']) {
      hub = await new FakeHub(REPO_ID, [{ path, content: Buffer.from('x') }]).start();
      await expect(downloader(tempDir()).download()).rejects.toThrow(DownloadError);
      await hub.stop();
    }
  });

  it('filters with --include/--exclude globs like huggingface-cli', async () => {
    hub = await new FakeHub(REPO_ID, repoFiles()).start();
    const dir = tempDir();
    const report = await downloader(dir, { include: ['*.json', '*.safetensors', 'tokenizer/*'], exclude: ['*-00002-of-*'] }).download();
    expect(report.files.map((f) => f.path)).toEqual(['config.json', 'model-00001-of-00002.safetensors', 'tokenizer/tokenizer.json']);
    expect(existsSync(join(dir, 'consolidated.00.pt'))).toBe(false);
  });

  it('sends the token as a bearer on every request and never prints it; without it a gated repo fails with the Hub status', async () => {
    const token = 'hf_secretSECRETsecret123';
    hub = await new FakeHub(REPO_ID, repoFiles(), { token }).start();
    await expect(downloader(tempDir()).download()).rejects.toThrow(/the Hub answered 401: a gated or private repository needs a token/);
    hub.requests.length = 0;
    await downloader(tempDir(), { accessToken: token }).download();
    expect(hub.requests.length).toBeGreaterThan(5);
    expect(hub.requests.every((r) => r.authorization === `Bearer ${token}`)).toBe(true);
    expect(lines.join('\n')).not.toContain(token);
  });
});

describe('resolveHubToken: where huggingface-cli looks', () => {
  afterEach(removeTempDirs);
  const read = (path: string) => Promise.resolve(readFileSync(path, 'utf8'));

  it('--token-file, then HF_TOKEN, then HF_TOKEN_PATH, then $HF_HOME/token, else none', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), 'hf_fromfile\n');
    mkdirSync(join(dir, 'hfhome'));
    writeFileSync(join(dir, 'hfhome', 'token'), 'hf_fromhome\n');
    expect(await resolveHubToken({ HF_TOKEN: 'hf_env' }, join(dir, 'file'), read)).toEqual({ token: 'hf_fromfile', source: join(dir, 'file') });
    expect(await resolveHubToken({ HF_TOKEN: 'hf_env', HF_HOME: join(dir, 'hfhome') }, undefined, read)).toEqual({ token: 'hf_env', source: 'HF_TOKEN' });
    expect((await resolveHubToken({ HF_TOKEN_PATH: join(dir, 'file') }, undefined, read)).token).toBe('hf_fromfile');
    expect((await resolveHubToken({ HF_HOME: join(dir, 'hfhome') }, undefined, read)).token).toBe('hf_fromhome');
    expect(await resolveHubToken({ HF_HOME: join(dir, 'none') }, undefined, read)).toEqual({});
  });
});

describe('citadel-llm services download <model>', () => {
  let hub: FakeHub;
  afterEach(async () => {
    await hub?.stop();
    removeTempDirs();
  });

  it("fetches model.name into model.path from HF_ENDPOINT with HF_TOKEN, then verify-model passes; the token is not printed", async () => {
    const token = 'hf_cliTOKENvalue987';
    hub = await new FakeHub(REPO_ID, repoFiles(), { token }).start();
    const dir = join(tempDir(), 'phi');
    const env = { HF_ENDPOINT: hub.url, HF_TOKEN: token, PHI_3_MINI_MODEL_NAME: REPO_ID, PHI_3_MINI_MODEL_PATH: dir };
    const { sink, deps } = captureOutput();
    const code = await runServiceManagerCommand('download', ['phi-3-mini', '--exclude', '*.pt', '--exclude', 'tokenizer/*'], { ...deps, env, cwd: NEUTRAL_CWD });
    expect(sink.err).not.toContain(token);
    expect(sink.out).not.toContain(token);
    expect(code).toBe(0);
    expect(sink.err).toContain(`hub ${hub.url}, token from HF_TOKEN`);
    expect(sink.out).toContain(`phi-3-mini: 3 files of ${REPO_ID}@main in ${dir} (3 fetched); wrote ${join(dir, 'model.sha256')}`);
    expect(existsSync(join(dir, 'consolidated.00.pt'))).toBe(false);
    expect(existsSync(join(dir, 'tokenizer'))).toBe(false);

    const verify = captureOutput();
    expect(await runServiceManagerCommand('verify-model', ['phi-3-mini'], { ...verify.deps, env, cwd: NEUTRAL_CWD })).toBe(0);
    expect(verify.sink.out).toContain('3 of 3 files match');
  });

  it('exits 1 naming the model and the Hub status when the download fails', async () => {
    hub = await new FakeHub(REPO_ID, repoFiles(), { token: 'hf_x' }).start();
    const env = { HF_ENDPOINT: hub.url, PHI_3_MINI_MODEL_NAME: REPO_ID, PHI_3_MINI_MODEL_PATH: tempDir(), HF_HOME: tempDir() };
    const { sink, deps } = captureOutput();
    expect(await runServiceManagerCommand('download', ['phi-3-mini'], { ...deps, env, cwd: NEUTRAL_CWD })).toBe(1);
    expect(sink.err).toMatch(/phi-3-mini: download of acme\/tiny-chat failed: the Hub answered 401/);
  });
});
