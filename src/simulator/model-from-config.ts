import { readFileSync } from 'node:fs';
import { ModelServiceConfig } from '../config/model-config';
import { SimulatorModel } from './types';

/** A model's simulator settings, from its YAML `engine.simulator` section. */
export function simulatorModelFromConfig(m: ModelServiceConfig): SimulatorModel {
  const s = m.engine.simulator;
  return {
    id: m.id,
    servedName: m.model.name,
    maxModelLen: m.model.max_model_len,
    maxNumSeqs: m.model.max_num_seqs,
    profile: {
      ttftBaseMs: s.ttft_base_ms,
      prefillMsPerToken: s.prefill_ms_per_token,
      itlBaseMs: s.itl_base_ms,
      itlMsPerRunningSeq: s.itl_ms_per_running_seq,
      maxWaiting: s.max_waiting,
    },
    // The simulated engine behaves as a vLLM started with the model's flags (engine.vllm).
    enableAutoToolChoice: m.engine.vllm.enable_auto_tool_choice,
    toolCallParser: m.engine.vllm.tool_call_parser ?? null,
    vllmVersion: m.engine.vllm.version,
    // As `vllm serve --chat-template …`: the loader made the path absolute and checked it exists.
    ...(m.engine.vllm.chat_template !== undefined ? { chatTemplate: readChatTemplate(m.engine.vllm.chat_template) } : {}),
    // As `vllm serve --enable-lora --lora-modules name=path …` (what managed mode passes).
    loraModules: Object.entries(m.model.lora_modules).map(([name, path]) => ({ name, path })),
  };
}

/**
 * vLLM's reading of `--chat-template` (chat_utils.py load_chat_template): a file's text when it
 * names a file, else the value itself when it looks like a template (holds "{", "}" or a newline).
 */
export function readChatTemplate(value: string): string {
  try {
    return readFileSync(value, 'utf8');
  } catch (error) {
    if (/[{}\n]/.test(value)) return value;
    throw new Error(`the chat template ${value} looks like a file path, but it cannot be read (${(error as NodeJS.ErrnoException).code})`);
  }
}
