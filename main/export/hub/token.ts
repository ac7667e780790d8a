// The Hugging Face token, found where huggingface_hub looks (constants.py / utils/_auth.py): the HF_TOKEN
// environment variable, else the token file at HF_TOKEN_PATH, else $HF_HOME/token, else
// ~/.cache/huggingface/token ($XDG_CACHE_HOME/huggingface/token when set). The token never appears in
// logs or errors: `redact` scrubs it from any message that could carry it.

import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface HubToken {
  token: string;
  /** Where it came from, for messages ("HF_TOKEN" or the file path); never the token itself. */
  source: string;
}

export function tokenFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_TOKEN_PATH) return env.HF_TOKEN_PATH;
  const hfHome = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
  return join(hfHome, 'token');
}

export function findHubToken(env: NodeJS.ProcessEnv = process.env): HubToken | null {
  const fromEnv = env.HF_TOKEN?.trim() || env.HUGGING_FACE_HUB_TOKEN?.trim();
  if (fromEnv) return { token: fromEnv, source: env.HF_TOKEN?.trim() ? 'HF_TOKEN' : 'HUGGING_FACE_HUB_TOKEN' };
  const path = tokenFilePath(env);
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (token) return { token, source: path };
  }
  return null;
}

/** The message with every occurrence of the token replaced. */
export function redact(message: string, token: string | null | undefined): string {
  if (!token) return message;
  return message.split(token).join('hf_***');
}
