/**
 * Chat templates: data copied from each model's tokenizer_config.json `chat_template` (the field vLLM
 * renders with transformers' apply_chat_template). They are rendered with @huggingface/jinja, which
 * follows transformers' Jinja settings (trim_blocks, lstrip_blocks, raise_exception).
 */

export interface ChatTemplateSource {
  template: string;
  /** Where the text was copied from, and whether it is verbatim. */
  source: string;
}

/**
 * The template of the current hub revision (system message folded into the first [INST]). Copied
 * verbatim as printed by `AutoTokenizer.from_pretrained("mistralai/Mixtral-8x7B-Instruct-v0.1").chat_template`
 * (quoted in vLLM's own log output and in projects that pin it); its trailing newline is dropped by
 * Jinja (keep_trailing_newline=False), so it is left out here.
 */
export const MIXTRAL_INSTRUCT: ChatTemplateSource = {
  source: 'huggingface.co/mistralai/Mixtral-8x7B-Instruct-v0.1 tokenizer_config.json chat_template (verbatim)',
  template: `{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content'] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}

{{- bos_token }}
{%- for message in loop_messages %}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}
    {%- endif %}
    {%- if message['role'] == 'user' %}
        {%- if loop.first and system_message is defined %}
            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}
        {%- else %}
            {{- ' [INST] ' + message['content'] + ' [/INST]' }}
        {%- endif %}
    {%- elif message['role'] == 'assistant' %}
        {{- ' ' + message['content'] + eos_token}}
    {%- else %}
        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}
    {%- endif %}
{%- endfor %}`,
};

/** Verbatim; the same string is in huggingface.js's jinja test suite under this model's name. */
export const OPENCHAT_35_0106: ChatTemplateSource = {
  source: 'huggingface.co/openchat/openchat-3.5-0106 tokenizer_config.json chat_template (verbatim)',
  template:
    "{{ bos_token }}{% for message in messages %}{{ 'GPT4 Correct ' + message['role'].title() + ': ' + message['content'] + '<|end_of_turn|>'}}{% endfor %}{% if add_generation_prompt %}{{ 'GPT4 Correct Assistant:' }}{% endif %}",
};

/** Verbatim (tokenizer_config.json as of the 2024 revision, quoted by guidance-ai with the file's line). */
export const PHI3_MINI_4K_INSTRUCT: ChatTemplateSource = {
  source: 'huggingface.co/microsoft/Phi-3-mini-4k-instruct tokenizer_config.json chat_template (verbatim)',
  template:
    "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\\n' + message['content'] + '<|end|>\\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\\n' + message['content'] + '<|end|>\\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\\n' + message['content'] + '<|end|>\\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}",
};

/**
 * NOT verbatim: Yi-34B-Chat's tokenizer_config.json could not be found in the sources at hand. Yi's
 * chat format is ChatML (<|im_start|>role\n…<|im_end|>\n, generation prompt <|im_start|>assistant\n),
 * as its model card and third-party adapters of its tokenizer_config show; this is the standard
 * ChatML template that produces that format.
 */
export const YI_34B_CHAT: ChatTemplateSource = {
  source: 'ChatML, as 01-ai/Yi-34B-Chat formats chats (reconstructed, not verbatim)',
  template:
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
};

/** The simulator's own template for made-up model names: ChatML after BOS, any role. */
export const CHATML_DEFAULT: ChatTemplateSource = {
  source: "the simulator's own (ChatML after BOS) for served names that are not one of the four models",
  template:
    "{{ bos_token }}{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
};
