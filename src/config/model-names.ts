import { ConfigProblem } from './config-problem';
import { ModelServiceConfig } from './model-config';

/**
 * Every name a request's `model` may hold names one thing: a model (its id, served name or an
 * alias) or one LoRA adapter. A name claimed twice would route by whichever the router saw last;
 * and an alias equal to an adapter's name would turn that adapter's requests into requests of
 * the base model (its `model` rewritten to the served name), so it is refused too. Each clash
 * names both owners.
 */
export function findNameClashes(
  models: ModelServiceConfig[],
  /** Where a key's value came from: the owner's file, or the variable that set it. */
  sourceOf: (owner: string, key: string) => string,
): ConfigProblem[] {
  const owners = new Map<string, { owner: string; what: string }>();
  const problems: ConfigProblem[] = [];
  const claim = (name: unknown, owner: string, what: string, model: string, key: string) => {
    // A name of the wrong type is its own problem, reported by the model's validation.
    if (typeof name !== 'string') return;
    const first = owners.get(name);
    if (!first) owners.set(name, { owner, what });
    else if (first.owner !== owner) {
      problems.push({ source: sourceOf(model, key), key, value: name, rule: `name clash: "${name}" is ${what} and ${first.what}; a request's model must name one thing` });
    }
  };
  // A model whose sections did not validate has its own problems reported already.
  const named = models.filter((m) => typeof m.service?.name === 'string' && m.model && typeof m.model === 'object');
  for (const m of named) {
    const adapters = m.model.lora_modules && typeof m.model.lora_modules === 'object' ? Object.keys(m.model.lora_modules) : [];
    for (const name of adapters) claim(name, `adapter:${m.id}:${name}`, `a LoRA adapter of ${m.id}`, m.id, 'model.lora_modules');
  }
  for (const m of named) {
    claim(m.service.name, `model:${m.id}`, `the id of ${m.id}`, m.id, 'service.name');
    claim(m.model.name, `model:${m.id}`, `the served name of ${m.id}`, m.id, 'model.name');
    for (const alias of Array.isArray(m.model.aliases) ? m.model.aliases : []) claim(alias, `model:${m.id}`, `an alias of ${m.id}`, m.id, 'model.aliases');
  }
  return problems;
}
