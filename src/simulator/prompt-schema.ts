/**
 * HEURISTIC: the JSON Schema a prompt asks a `json_object` answer to follow.
 *
 * vLLM's `response_format: {"type": "json_object"}` constrains decoding to "any JSON object"; which
 * object comes out is the model's choice, and a real model writes the one the prompt asks for. In json
 * mode the clients send no schema to the server (LangChain's `withStructuredOutput(…, {method:
 * "jsonMode"})` sends only response_format; the AI SDK's generateObject on an OpenAI-compatible
 * provider without structured outputs sends only response_format too, with a warning): the user puts
 * the schema into a system or user message, which the client then validates the answer against.
 * So the simulator looks for a JSON Schema written in the prompt, the last message first, and writes
 * a value valid against it. Prompts without one (or with one whose root is not an object) get the
 * simulator's generic object (structured-output.ts).
 *
 * A schema is a balanced `{…}` in the text that parses as JSON and looks like an object schema: it
 * has `properties` (an object), or `$schema`, or `$ref` with `definitions`/`$defs` (zod-to-json-schema's
 * shape). A JSON object that is not one itself (e.g. `{"name": …, "schema": {…}}`) is searched for one.
 */

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function looksLikeObjectSchema(v: JsonObject): boolean {
  if (v.type !== undefined && v.type !== 'object') return false;
  if (isObject(v.properties)) return true;
  if (typeof v.$schema === 'string') return true;
  return typeof v.$ref === 'string' && (isObject(v.definitions) || isObject(v.$defs));
}

/** The first object schema in a parsed JSON value, depth first (the value itself before its members). */
function findSchema(v: unknown, depth: number): JsonObject | null {
  if (depth > 4) return null;
  if (Array.isArray(v)) {
    for (const item of v) {
      const found = findSchema(item, depth + 1);
      if (found) return found;
    }
    return null;
  }
  if (!isObject(v)) return null;
  if (looksLikeObjectSchema(v)) return v;
  for (const member of Object.values(v)) {
    const found = findSchema(member, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * The outermost balanced `{…}` spans of text, in order. One pass: JSON strings are tracked only
 * inside braces (prose apostrophes and quotes outside them do not count).
 */
function outerBraceSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c /* \ */) i++;
      else if (ch === 0x22 /* " */) inString = false;
      continue;
    }
    if (ch === 0x7b /* { */) {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === 0x7d /* } */ && depth > 0) {
      depth--;
      if (depth === 0) spans.push([start, i + 1]);
    } else if (ch === 0x22 && depth > 0) {
      inString = true;
    }
  }
  return spans;
}

function schemaInText(text: string): JsonObject | null {
  if (!text.includes('{')) return null;
  for (const [start, end] of outerBraceSpans(text)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.slice(start, end));
    } catch {
      // Braces in prose, or JSON with a syntax error: look inside for a complete schema.
      const inner = text.slice(start + 1, end - 1);
      const found = inner.includes('{') ? schemaInText(inner) : null;
      if (found) return found;
      continue;
    }
    const found = findSchema(parsed, 0);
    if (found) return found;
  }
  return null;
}

/** The JSON Schema of an object that the prompt asks for, or null (see the file comment). */
export function schemaInPrompt(texts: readonly string[]): JsonObject | null {
  for (let i = texts.length - 1; i >= 0; i--) {
    const found = schemaInText(texts[i]);
    if (found) return found;
  }
  return null;
}
