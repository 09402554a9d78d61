import 'reflect-metadata';
import { VllmSection } from '../../src/config/model-config';
import { validateInto } from '../../src/config/validate-class';

/** engine.vllm: the vLLM flags beyond the model's, checked once at boot. */
function problems(plain: Record<string, unknown>): Record<string, string> {
  const { problems: found } = validateInto(VllmSection, plain, () => 'test.yaml');
  return Object.fromEntries(found.map((p) => [p.key, p.rule]));
}

describe('engine.vllm', () => {
  it('accepts the flags a vLLM deployment uses', () => {
    expect(
      problems({
        enable_auto_tool_choice: true,
        tool_call_parser: 'mistral',
        chat_template: '/opt/templates/tool_chat_template_mistral.jinja',
        reasoning_parser: 'deepseek_r1',
        extra_args: ['--max-logprobs', '5', '--disable-log-requests', '--kv-cache-dtype=fp8'],
      }),
    ).toEqual({});
    expect(problems({})).toEqual({});
  });

  it('refuses auto tool choice without a tool parser, as vLLM refuses to start', () => {
    expect(problems({ enable_auto_tool_choice: true })).toEqual({ enable_auto_tool_choice: expect.stringMatching(/tool_call_parser/) });
    expect(problems({ enable_auto_tool_choice: 'yes', tool_call_parser: 'mistral' })).toEqual({ enable_auto_tool_choice: expect.stringMatching(/true or false/) });
  });

  it.each([
    ['a flag the config sets', ['--max-model-len', '4096'], /--max-model-len is set from the configuration/],
    ['the same flag with underscores', ['--max_num_seqs=8'], /set from the configuration already \(--max-num-seqs\)/],
    ['the same flag with =value', ['--tool-call-parser=hermes'], /\(--tool-call-parser\)/],
    ['the API key', ['--api-key', 'sk-x'], /\(--api-key\)/],
    ['a shell metacharacter', ['--foo', 'x;rm -rf /'], /shell metacharacter/],
    ['a command substitution', ['$(id)'], /shell metacharacter/],
    ['two words in one item', ['--max-logprobs 5'], /one argument per item/],
    ['a quote', ["--x='1'"], /shell metacharacter/],
    ['an empty item', [''], /non-empty string/],
    ['a number instead of a string', [5], /non-empty string/],
  ])('refuses extra_args with %s', (_title, extra, rule) => {
    expect(problems({ extra_args: extra })).toEqual({ extra_args: expect.stringMatching(rule) });
  });

  it('accepts vLLM\'s executor backends and refuses others (vllm/config/parallel.py DistributedExecutorBackend)', () => {
    for (const backend of ['ray', 'mp', 'uni', 'external_launcher']) expect(problems({ distributed_executor_backend: backend })).toEqual({});
    expect(problems({ distributed_executor_backend: 'slurm' })).toEqual({ distributed_executor_backend: expect.stringMatching(/one of ray, mp/) });
    expect(problems({ extra_args: ['--pipeline-parallel-size', '2'] })).toEqual({ extra_args: expect.stringMatching(/set from the configuration/) });
    expect(problems({ extra_args: ['--distributed_executor_backend=ray'] })).toEqual({ extra_args: expect.stringMatching(/set from the configuration/) });
  });

  it('refuses parser names that are not names', () => {
    expect(problems({ tool_call_parser: 'mistral; reboot' })).toEqual({ tool_call_parser: expect.stringMatching(/parser name/) });
    expect(problems({ reasoning_parser: '../x y' })).toEqual({ reasoning_parser: expect.stringMatching(/parser name/) });
  });
});
