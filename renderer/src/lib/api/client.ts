// The one API client of this window, chosen once at start: the Electron bridge when the preload put it
// on `window`, otherwise serve mode over HTTP. Only stores import this.
import { ElectronClient } from './electron-client.ts';
import { HttpClient } from './http-client.ts';
import { takeAccessToken } from './token.ts';
import { bridgeName, type ElectronBridge, type RendererClient } from './types.ts';

function createClient(): RendererClient {
  const bridge = (window as unknown as Record<string, ElectronBridge | undefined>)[bridgeName];
  return bridge ? new ElectronClient(bridge) : new HttpClient('', takeAccessToken());
}

export const api: RendererClient = createClient();
