import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareVersions, VllmCommandBuilder } from '../../src/services/core/service-manager/vllm-command-builder';
import { FAKE_VLLM, loadModel, removeTempDirs, tempDir } from './helpers';

const REPO_CONFIG = join(__dirname, '..', '..', 'config');

afterAll(removeTempDirs);

const common = (port: number) => ['--host', '127.0.0.1', '--port', String(port)];

describe('VllmCommandBuilder: the shipped configurations', () => {
  const builder = new VllmCommandBuilder();

  it('mixtral-8x7b', () => {
    const cmd = builder.build(loadModel('mixtral-8x7b'), 40001);
    expect(cmd.executable).toBe('vllm');
    expect(cmd.args).toEqual([
      'serve', '/opt/models/mixtral-8x7b-instruct-v0.1',
      '--served-model-name', 'mistralai/Mixtral-8x7B-Instruct-v0.1',
      ...common(40001),
      '--max-model-len', '32768',
      '--tensor-parallel-size', '1',
      '--gpu-memory-utilization', '0.9',
      '--max-num-batched-tokens', '8192',
      '--max-num-seqs', '256',
      // config/services/mixtral-8x7b.yaml engine.vllm: auto tool choice with Mistral's parser.
      '--enable-auto-tool-choice',
      '--tool-call-parser', 'mistral',
      // Its tool-aware chat template, shipped in config/templates, as an absolute path.
      '--chat-template', join(REPO_CONFIG, 'templates', 'mixtral-8x7b-tools.jinja'),
    ]);
  });

  it('openchat-3.5', () => {
    expect(builder.build(loadModel('openchat-3.5'), 40002).args).toEqual([
      'serve', '/opt/models/openchat-3.5-0106',
      '--served-model-name', 'openchat/openchat-3.5-0106',
      ...common(40002),
      '--max-model-len', '4096',
      '--tensor-parallel-size', '1',
      '--gpu-memory-utilization', '0.7',
      '--max-num-batched-tokens', '2048',
      '--max-num-seqs', '64',
    ]);
  });

  it('phi-3-mini', () => {
    expect(builder.build(loadModel('phi-3-mini'), 40003).args).toEqual([
      'serve', '/opt/models/microsoft-Phi-3-mini-4k-instruct',
      '--served-model-name', 'microsoft/Phi-3-mini-4k-instruct',
      ...common(40003),
      '--max-model-len', '2048',
      '--tensor-parallel-size', '1',
      '--gpu-memory-utilization', '0.6',
      '--max-num-batched-tokens', '1024',
      '--max-num-seqs', '32',
    ]);
  });

  it('yi-34b (tensor parallel on two GPUs)', () => {
    expect(builder.build(loadModel('yi-34b'), 40004).args).toEqual([
      'serve', '/opt/models/yi-34b-chat',
      '--served-model-name', '01-ai/Yi-34B-Chat',
      ...common(40004),
      '--max-model-len', '4096',
      '--tensor-parallel-size', '2',
      '--gpu-memory-utilization', '0.9',
      '--max-num-batched-tokens', '4096',
      '--max-num-seqs', '64',
    ]);
  });
});

describe('VllmCommandBuilder: flags that depend on settings and version', () => {
  const builder = new VllmCommandBuilder();

  it('adds --enforce-eager only when enforce_eager is 1', () => {
    expect(builder.build(loadModel('phi-3-mini'), 1).args).not.toContain('--enforce-eager');
    const args = builder.build(loadModel('phi-3-mini', { PHI_3_MINI_ENFORCE_EAGER: '1' }), 1).args;
    expect(args.filter((a) => a === '--enforce-eager')).toHaveLength(1);
  });

  it.each([
    ['0.11.0', 4, true],
    ['0.17.1', 4, true],
    ['0.17', 2.5, true],
    ['0.18', 4, false],
    ['0.18.0', 4, false],
    ['0.18.0rc1', 4, false],
    ['0.19.2', 4, false],
    ['1.0.0', 4, false],
    ['0.11.0', 0, false],
  ])('vLLM %s with swap_space %d: --swap-space passed = %s', (version, swap, passed) => {
    const model = loadModel('mixtral-8x7b', { MIXTRAL_8X7B_VLLM_VERSION: version, MIXTRAL_8X7B_SWAP_SPACE: String(swap) });
    const args = builder.build(model, 1).args;
    if (passed) {
      const at = args.indexOf('--swap-space');
      expect(args.slice(at, at + 2)).toEqual(['--swap-space', String(swap)]);
    } else {
      expect(args).not.toContain('--swap-space');
    }
  });

  it('reads the API key from api_key_file and keeps it out of the redacted form', () => {
    const dir = tempDir();
    const keyFile = join(dir, 'key');
    writeFileSync(keyFile, 'sk-very-secret\n');
    const model = loadModel('openchat-3.5');
    model.engine.vllm.api_key_file = keyFile;
    const cmd = new VllmCommandBuilder().build(model, 40010);
    expect(cmd.args.slice(-2)).toEqual(['--api-key', 'sk-very-secret']);
    expect(cmd.secrets()).toEqual(['sk-very-secret']);
    expect(cmd.redacted()).toContain('--api-key ***');
    expect(cmd.redacted()).not.toContain('sk-very-secret');
    expect(String(cmd)).not.toContain('sk-very-secret');
    expect(JSON.stringify({ cmd })).not.toContain('sk-very-secret');
  });

  it('refuses an empty key file and passes no --api-key without one', () => {
    const model = loadModel('openchat-3.5');
    expect(builder.build(model, 1).args).not.toContain('--api-key');
    model.engine.vllm.api_key_file = '/keys/empty';
    expect(() => new VllmCommandBuilder({ readSecret: () => '' }).build(model, 1)).toThrow(/api_key_file .* is empty/);
  });

  it('passes tool calling, chat template, reasoning parser and extra_args under vLLM\'s flag names (cli_args.py)', () => {
    const model = loadModel('yi-34b');
    Object.assign(model.engine.vllm, {
      enable_auto_tool_choice: true,
      tool_call_parser: 'hermes',
      chat_template: '/opt/templates/yi.jinja',
      reasoning_parser: 'deepseek_r1',
      extra_args: ['--max-logprobs', '5', '--kv-cache-dtype=fp8'],
    });
    const args = builder.build(model, 1).args;
    expect(args.slice(args.indexOf('--max-num-seqs') + 2)).toEqual([
      '--enable-auto-tool-choice',
      '--tool-call-parser', 'hermes',
      '--chat-template', '/opt/templates/yi.jinja',
      '--reasoning-parser', 'deepseek_r1',
      '--max-logprobs', '5', '--kv-cache-dtype=fp8',
    ]);
    // None of them by default.
    const plain = builder.build(loadModel('openchat-3.5'), 1).args;
    for (const flag of ['--enable-auto-tool-choice', '--tool-call-parser', '--chat-template', '--reasoning-parser']) expect(plain).not.toContain(flag);
  });

  it('passes pipeline parallelism and the executor backend (multi-host serving over Ray) only when set', () => {
    const plain = builder.build(loadModel('yi-34b'), 1).args;
    expect(plain).not.toContain('--pipeline-parallel-size');
    expect(plain).not.toContain('--distributed-executor-backend');
    const model = loadModel('yi-34b');
    model.model.pipeline_parallel_size = 2;
    model.engine.vllm.distributed_executor_backend = 'ray';
    const args = builder.build(model, 1).args;
    const at = args.indexOf('--tensor-parallel-size');
    expect(args.slice(at, at + 2)).toEqual(['--tensor-parallel-size', '2']);
    expect(args.slice(args.indexOf('--max-num-seqs') + 2, args.indexOf('--max-num-seqs') + 6)).toEqual([
      '--pipeline-parallel-size', '2',
      '--distributed-executor-backend', 'ray',
    ]);
  });

  it('the stand-in vllm (test/fixtures/fake-vllm, argparse\'s rules) accepts that command line and refuses a backend vLLM does not have', () => {
    const model = loadModel('yi-34b');
    model.model.pipeline_parallel_size = 2;
    model.engine.vllm.distributed_executor_backend = 'ray';
    const args = builder.build(model, 0).args;
    const env = { ...process.env, FAKE_VLLM_NO_SIMULATOR: '1', FAKE_VLLM_EXIT_AFTER_MS: '1' };
    // Exit 1: it parsed the flags, listened, and left as told; a flag it refuses is exit 2.
    expect(spawnSync(process.execPath, [FAKE_VLLM, ...args], { env, encoding: 'utf8' }).status).toBe(1);
    const bad = spawnSync(process.execPath, [FAKE_VLLM, ...args.map((a) => (a === 'ray' ? 'slurm' : a))], { env, encoding: 'utf8' });
    expect([bad.status, bad.stderr]).toEqual([2, expect.stringContaining("argument --distributed-executor-backend: invalid choice: 'slurm'")]);
  });

  it("passes LoRA adapters as vLLM's --enable-lora --lora-modules name=path …, with --max-loras and --max-lora-rank when set (cli_args.py)", () => {
    const model = loadModel('mixtral-8x7b');
    Object.assign(model.model, { lora_modules: { 'sql-lora': '/opt/loras/sql', 'chat-lora': '/opt/loras/chat' }, max_loras: 2, max_lora_rank: 64 });
    model.engine.vllm.extra_args = ['--max-cpu-loras', '4'];
    const args = builder.build(model, 1).args;
    const at = args.indexOf('--enable-lora');
    expect(args.slice(at)).toEqual([
      '--enable-lora',
      '--lora-modules', 'sql-lora=/opt/loras/sql', 'chat-lora=/opt/loras/chat',
      '--max-loras', '2',
      '--max-lora-rank', '64',
      // extra_args after them: vLLM's nargs='+' list ends at the next flag.
      '--max-cpu-loras', '4',
    ]);
    // Limits alone, without an adapter, pass nothing; no adapters, no LoRA flags.
    const none = loadModel('mixtral-8x7b');
    Object.assign(none.model, { max_loras: 2 });
    for (const flag of ['--enable-lora', '--lora-modules', '--max-loras', '--max-lora-rank']) expect(builder.build(none, 1).args).not.toContain(flag);
  });

  it('runs the configured executable', () => {
    const model = loadModel('yi-34b');
    model.engine.vllm.executable = '/opt/citadel/env/bin/vllm';
    expect(builder.build(model, 1).executable).toBe('/opt/citadel/env/bin/vllm');
  });
});

describe('compareVersions', () => {
  it.each([
    ['0.11.0', '0.18', -1],
    ['0.18', '0.18.0', 0],
    ['0.18.1', '0.18', 1],
    ['0.9.2', '0.18', -1],
    ['1.0', '0.18', 1],
    ['0.18.0rc1', '0.18', 0],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
  });
});
