// The one API client of this window, chosen once at start: a remote lab this tab attached to (remote.ts,
// #21), else the Electron bridge when the preload put it on `window`, otherwise serve mode over HTTP. Only
// stores import this.
import { ElectronClient } from './electron-client.ts';
import { HttpClient } from './http-client.ts';
import { remoteLab } from './remote.ts';
import { takeAccessToken } from './token.ts';
import { bridgeName, type ElectronBridge, type RendererClient } from './types.ts';

function createClient(): RendererClient {
  // Taken first in any case: a printed URL's fragment must leave the address bar even when a remote lab is on.
  const ownToken = takeAccessToken();
  const remote = remoteLab();
  if (remote) return new HttpClient(remote.url, remote.token);
  const bridge = (window as unknown as Record<string, ElectronBridge | undefined>)[bridgeName];
  return bridge ? new ElectronClient(bridge) : new HttpClient('', ownToken);
}

export const api: RendererClient = createClient();
