import { ModelServiceConfig } from '../config/model-config';
import { ModelMetrics } from '../monitoring/model-metrics';
import { Admission } from '../services/ai-models/admission';
import { EfficiencyManager } from '../services/optimization/efficiency-manager';
import { AdmissionRule, ModelAdmission } from './admission';
import { ConcurrencyCap } from './concurrency-cap';
import { EfficiencyOrchestrator } from './efficiency-orchestrator';
import { InteractiveOrchestrator } from './interactive-orchestrator';

/** A model's admission rules, switched on by its config sections; their refusals are exported as metrics. */
export function buildAdmission(config: ModelServiceConfig): ModelAdmission {
  const metrics = new ModelMetrics(config.id);
  // Load shedding first: past the model's cap nothing else is worth checking.
  const cap = new ConcurrencyCap(() => config.service.max_concurrent_requests);
  metrics.watchRefusals('load_shedding', 'max_concurrent_requests', () => cap.shed);
  const rules: AdmissionRule[] = [cap];
  // OpenChat's stream cap (seed 1.4): present with a realtime section.
  if (config.realtime) {
    const interactive = new InteractiveOrchestrator(config.realtime);
    rules.push(interactive);
    metrics.watchRefusals('stream_cap', 'concurrent_streams', () => interactive.rejected);
    metrics.watchStreamCap(() => ({ cap: interactive.cap, active: interactive.activeStreams, rejected: interactive.rejected }));
  }
  // Phi-3's throttle (seed 1.5): present with an efficiency section, applied when efficiency_mode is on.
  if (config.efficiency) rules.push(new EfficiencyOrchestrator(new EfficiencyManager(config, metrics)));
  return new ModelAdmission(rules);
}

/** The model's efficiency manager, when its config has an efficiency section. */
export function efficiencyManagerOf(admission: Admission): EfficiencyManager | undefined {
  if (!(admission instanceof ModelAdmission)) return undefined;
  const rule = admission.rules.find((r): r is EfficiencyOrchestrator => r instanceof EfficiencyOrchestrator);
  return rule?.manager;
}
