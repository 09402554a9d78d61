import { ModelService } from '../services/ai-models/model-service';

/**
 * Every model service running in this process, by id: where a model's fallbacks are found.
 * Filled by the service orchestrator as the models start.
 */
export class ModelDirectory {
  private readonly services = new Map<string, ModelService>();

  register(service: ModelService): void {
    this.services.set(service.id, service);
  }

  get(id: string): ModelService | undefined {
    return this.services.get(id);
  }
}
