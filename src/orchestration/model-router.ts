import { ApiError } from '../common/api-error';
import { ModelService } from '../services/ai-models/model-service';

/**
 * The model orchestrator: finds the model a request names, by id (`mixtral-8x7b`), served name
 * (`mistralai/Mixtral-8x7B-Instruct-v0.1`) or alias. The request's `model` is only ever looked
 * up in this table: it never becomes part of a URL, a header or a metric label.
 */
export class ModelRouter {
  private readonly byName = new Map<string, ModelService>();

  /**
   * @param models the models this listener serves
   * @param fallback the model used when a request names none (a model's own port); undefined on the gateway
   */
  constructor(
    readonly models: readonly ModelService[],
    private readonly fallback?: ModelService,
  ) {
    for (const model of models) for (const name of model.names) this.byName.set(name, model);
  }

  resolve(name: unknown): ModelService {
    if (name === undefined || name === null || name === '') {
      if (this.fallback) return this.fallback;
      throw ApiError.invalid('You must provide a model parameter.', 'model', 'missing_model');
    }
    const model = typeof name === 'string' ? this.byName.get(name) : undefined;
    if (!model) throw ApiError.modelNotFound(typeof name === 'string' ? clip(name) : String(name), this.models.map((m) => m.id));
    return model;
  }
}

/** Echoing a hostile name back whole would let a client fill our answers (and logs) with it. */
function clip(name: string): string {
  const printable = name.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 64 ? `${printable.slice(0, 61)}...` : printable;
}
