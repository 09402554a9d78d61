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
    // As `vllm serve --enable-lora --lora-modules name=path …` (what managed mode passes).
    loraModules: Object.entries(m.model.lora_modules).map(([name, path]) => ({ name, path })),
  };
}
