import { ModelServiceConfig } from '../config/model-config';
import { AdmissionRule, ModelAdmission } from './admission';
import { InteractiveOrchestrator } from './interactive-orchestrator';

/** A model's admission rules, switched on by its config sections. */
export function buildAdmission(config: ModelServiceConfig, interactive?: InteractiveOrchestrator): ModelAdmission {
  const rules: AdmissionRule[] = [];
  if (interactive) rules.push(interactive);
  return new ModelAdmission(rules);
}

export function buildInteractive(config: ModelServiceConfig): InteractiveOrchestrator | undefined {
  return config.realtime ? new InteractiveOrchestrator(config.realtime) : undefined;
}
