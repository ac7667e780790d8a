// An Ollama Modelfile for an exported GGUF: FROM the file, the chat TEMPLATE in Ollama's Go-template form,
// stop tokens and sampling PARAMETERs from generation_config.json. Ollama does not run Jinja templates,
// so we recognise the template family (ChatML for Qwen, Llama 3 headers) and write the Go equivalent
// Ollama's own library uses for those models (tool calls left out).

/** ChatML (Qwen2/2.5/3): `<|im_start|>role\ncontent<|im_end|>\n`, ending with an open assistant turn. */
const CHATML_TEMPLATE = `{{- if .Messages }}
{{- if .System }}<|im_start|>system
{{ .System }}<|im_end|>
{{ end }}
{{- range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 -}}
<|im_start|>{{ .Role }}
{{ .Content }}{{ if not $last }}<|im_end|>
{{ end }}
{{- if and (ne .Role "assistant") $last }}<|im_end|>
<|im_start|>assistant
{{ end }}
{{- end }}
{{- else }}
{{- if .System }}<|im_start|>system
{{ .System }}<|im_end|>
{{ end }}{{ if .Prompt }}<|im_start|>user
{{ .Prompt }}<|im_end|>
{{ end }}<|im_start|>assistant
{{ end }}{{ .Response }}{{ if .Response }}<|im_end|>{{ end }}`;

/** Llama 3: `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>`. */
const LLAMA3_TEMPLATE = `{{- if .System }}<|start_header_id|>system<|end_header_id|>

{{ .System }}<|eot_id|>
{{- end }}
{{- range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}<|start_header_id|>{{ .Role }}<|end_header_id|>

{{ .Content }}{{ if $last }}{{ if ne .Role "assistant" }}<|eot_id|><|start_header_id|>assistant<|end_header_id|>

{{ end }}{{ else }}<|eot_id|>{{ end }}
{{- end }}`;

export type TemplateFamily = 'chatml' | 'llama3';

/** Which Go template fits a Jinja chat template, or null when we know none. */
export function templateFamily(chatTemplate: string | null): TemplateFamily | null {
  if (!chatTemplate) return null;
  if (chatTemplate.includes('<|im_start|>')) return 'chatml';
  if (chatTemplate.includes('<|start_header_id|>')) return 'llama3';
  return null;
}

export interface ModelfileInput {
  /** Path of the GGUF as the Modelfile should name it (relative to the Modelfile: `./model.gguf`). */
  from: string;
  chatTemplate: string | null;
  stopTokens: string[];
  /** generation_config.json: temperature, top_p, top_k, repetition_penalty. */
  generationConfig?: Record<string, unknown>;
  contextLength?: number;
  system?: string;
}

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function buildModelfile(input: ModelfileInput): string {
  const lines = [`# Written by Saenggak Lab. Load it with: ollama create <name> -f Modelfile`, `FROM ${input.from}`, ''];
  const family = templateFamily(input.chatTemplate);
  if (family) {
    lines.push(`TEMPLATE """${family === 'chatml' ? CHATML_TEMPLATE : LLAMA3_TEMPLATE}"""`, '');
  } else {
    lines.push('# No TEMPLATE: the model has no ChatML or Llama 3 chat template; Ollama reads tokenizer.chat_template from the GGUF only for known models.', '');
  }
  if (input.system) lines.push(`SYSTEM ${quote(input.system)}`, '');
  for (const stop of input.stopTokens) lines.push(`PARAMETER stop ${quote(stop)}`);
  const g = input.generationConfig ?? {};
  const num = (k: string) => (typeof g[k] === 'number' && Number.isFinite(g[k]) ? (g[k] as number) : null);
  const sampling = g.do_sample !== false;
  if (sampling && num('temperature') !== null) lines.push(`PARAMETER temperature ${num('temperature')}`);
  if (sampling && num('top_p') !== null) lines.push(`PARAMETER top_p ${num('top_p')}`);
  if (sampling && num('top_k') !== null) lines.push(`PARAMETER top_k ${num('top_k')}`);
  if (!sampling) lines.push('PARAMETER temperature 0');
  if (num('repetition_penalty') !== null) lines.push(`PARAMETER repeat_penalty ${num('repetition_penalty')}`);
  if (input.contextLength) lines.push(`PARAMETER num_ctx ${Math.min(input.contextLength, 8192)}`);
  return lines.join('\n') + '\n';
}
