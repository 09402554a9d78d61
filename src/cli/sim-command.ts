import { ModelServiceConfig } from '../config/model-config';
import { runSimCommand, SIM_USAGE } from '../simulator/sim-cli';
import { SimulatorModel } from '../simulator/types';
import { loadCitadelConfig } from '../config/config-loader';

export const SIM_CLI_USAGE = SIM_USAGE;

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
  };
}

export async function runSimCli(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) return runSimCommand(argv, {});
  // Every model is offered, enabled or not: the simulator may stand in for any of them. Its
  // allocation warnings are the server's business, not the simulator's.
  const config = loadCitadelConfig({ only: ['mixtral-8x7b', 'openchat-3.5', 'phi-3-mini', 'yi-34b'] });
  const models = Object.fromEntries(config.models.map((m) => [m.id, simulatorModelFromConfig(m)]));
  return runSimCommand(argv, models);
}
