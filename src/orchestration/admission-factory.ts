import { ModelServiceConfig } from '../config/model-config';
import { AdmissionRule, ModelAdmission } from './admission';
import { ConcurrencyCap } from './concurrency-cap';
import { InteractiveOrchestrator } from './interactive-orchestrator';

/** A model's admission rules, switched on by its config sections. */
export function buildAdmission(config: ModelServiceConfig, interactive?: InteractiveOrchestrator): ModelAdmission {
  // Load shedding first: past the model's cap nothing else is worth checking.
  const rules: AdmissionRule[] = [new ConcurrencyCap(() => config.service.max_concurrent_requests)];
  if (interactive) rules.push(interactive);
  return new ModelAdmission(rules);
}

export function buildInteractive(config: ModelServiceConfig): InteractiveOrchestrator | undefined {
  return config.realtime ? new InteractiveOrchestrator(config.realtime) : undefined;
}
