import { createHash } from 'node:crypto';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelVerifier } from '../../src/services/core/service-manager/model-verifier';
import { runServiceManagerCommand } from '../../src/cli/service-manager-cli';
import { captureOutput, NEUTRAL_CWD, removeTempDirs, tempDir, TINY_MODEL } from './helpers';

afterAll(removeTempDirs);

/** A copy of the tiny model with one byte of the weights changed and config.json removed. */
function damagedCopy(): string {
  const dir = join(tempDir('citadel-model-'), 'tiny-model');
  cpSync(TINY_MODEL, dir, { recursive: true });
  const weights = join(dir, 'model-00001-of-00001.safetensors');
  const bytes = readFileSync(weights);
  bytes[bytes.length - 1] ^= 0x01;
  writeFileSync(weights, bytes);
  rmSync(join(dir, 'config.json'));
  return dir;
}

describe('ModelVerifier', () => {
  it('passes the fixture model', async () => {
    const report = await new ModelVerifier({ progress: () => undefined }).verify(TINY_MODEL);
    expect(report.ok).toBe(true);
    expect(report.verified.sort()).toEqual(['config.json', 'model-00001-of-00001.safetensors', 'model.safetensors.index.json']);
    expect(ModelVerifier.summary(report)).toMatch(/^3 of 3 files match/);
  });

  it('names a changed file and a missing file', async () => {
    const report = await new ModelVerifier({ progress: () => undefined }).verify(damagedCopy());
    expect(report.ok).toBe(false);
    expect(report.mismatched.map((m) => m.file)).toEqual(['model-00001-of-00001.safetensors']);
    expect(report.missing).toEqual(['config.json']);
    expect(report.verified).toEqual(['model.safetensors.index.json']);
    const lines = ModelVerifier.formatReport(report);
    expect(lines).toContain('config.json: FAILED missing');
    expect(lines.some((l) => l.startsWith('model-00001-of-00001.safetensors: FAILED checksum'))).toBe(true);
  });

  it('hashes big files as a stream and reports progress', async () => {
    const dir = tempDir();
    const data = Buffer.alloc(9 * 1024 * 1024 + 7, 0xab);
    writeFileSync(join(dir, 'big.bin'), data);
    const progress: string[] = [];
    const verifier = new ModelVerifier({ progress: (l) => progress.push(l), progressThresholdBytes: 1024 * 1024 });
    const hash = await verifier.hashFile(join(dir, 'big.bin'), 'big.bin');
    expect(hash).toBe(createHash('sha256').update(data).digest('hex'));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[progress.length - 1]).toMatch(/^hashing big\.bin: 100% /);
  });

  it('reads sha256sum text, binary, BSD and escaped lines; flags malformed ones', () => {
    const h = 'a'.repeat(64);
    const { entries, malformed } = ModelVerifier.parseManifest(
      [`${h}  config.json`, `${h.toUpperCase()} *model.bin`, `SHA256 (tokenizer.json) = ${h}`, `\\${h}  odd\\\\name`, '', '# comment', 'nonsense', `${h} x`].join('\n'),
    );
    expect(entries.map((e) => e.file)).toEqual(['config.json', 'model.bin', 'tokenizer.json', 'odd\\name']);
    expect(entries.every((e) => e.sha256 === h)).toBe(true);
    expect(malformed).toEqual([7, 8]);
  });

  it('refuses entries outside the model directory and malformed lines', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'model.sha256'), `${'0'.repeat(64)}  ../../etc/passwd\nnot a checksum line\n`);
    const report = await new ModelVerifier().verify(dir);
    expect(report.ok).toBe(false);
    expect(report.outside).toEqual(['../../etc/passwd']);
    expect(report.malformed).toEqual([2]);
  });
});

describe('citadel-llm services verify-model', () => {
  it('exits 0 for the fixture model', async () => {
    const { sink, deps } = captureOutput();
    const code = await runServiceManagerCommand('verify-model', ['phi-3-mini'], { ...deps, env: { PHI_3_MINI_MODEL_PATH: TINY_MODEL }, cwd: NEUTRAL_CWD });
    expect(code).toBe(0);
    expect(sink.out).toContain('model-00001-of-00001.safetensors: OK');
  });

  it('exits 1 and names the changed and the missing file', async () => {
    const { sink, deps } = captureOutput();
    const code = await runServiceManagerCommand('verify-model', ['phi-3-mini'], { ...deps, env: { PHI_3_MINI_MODEL_PATH: damagedCopy() }, cwd: NEUTRAL_CWD });
    expect(code).toBe(1);
    expect(sink.out).toContain('config.json: FAILED missing');
    expect(sink.out).toMatch(/model-00001-of-00001\.safetensors: FAILED checksum/);
    expect(sink.out).toMatch(/1 changed \(model-00001-of-00001\.safetensors\), 1 missing \(config\.json\)/);
  });

  it('exits 1 when there is no model.sha256', async () => {
    const { sink, deps } = captureOutput();
    const code = await runServiceManagerCommand('verify-model', ['phi-3-mini'], { ...deps, env: { PHI_3_MINI_MODEL_PATH: tempDir() }, cwd: NEUTRAL_CWD });
    expect(code).toBe(1);
    expect(sink.err).toMatch(/no model\.sha256 in /);
  });
});
