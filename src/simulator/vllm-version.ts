/**
 * The vLLM version the simulator claims (`--vllm-version`) decides which request fields exist,
 * as they came and went in vLLM's history:
 * - 0.11.0 added `structured_outputs` (vllm PR #22772) and deprecated `guided_json`,
 *   `guided_regex`, `guided_choice`, `guided_grammar` (still honoured);
 * - 0.12.0 removed the `guided_*` fields: like any field vLLM does not know, they are then ignored
 *   (its request models accept extra fields and only log a warning).
 */
import { coerce, gte } from 'semver';

function atLeast(version: string, minimum: string): boolean {
  const v = coerce(version);
  return v !== null && gte(v, minimum);
}

export interface VersionFeatures {
  /** `structured_outputs` is a request field. */
  structuredOutputs: boolean;
  /** `guided_json` / `guided_regex` / `guided_choice` / `guided_grammar` are request fields. */
  guidedFields: boolean;
}

export function versionFeatures(version: string): VersionFeatures {
  return { structuredOutputs: atLeast(version, '0.11.0'), guidedFields: !atLeast(version, '0.12.0') };
}
