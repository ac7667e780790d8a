// Serve-mode client: same-origin fetch for calls, a raw-body POST for uploads and one WebSocket for events.
// The token (from the printed URL's fragment, see token.ts) travels as `Authorization: Bearer` on calls and
// uploads and as the WebSocket subprotocol `bearer.T`; never in a cookie or a URL.
import type {
  ApiError,
  EventName,
  EventMessage,
  Events,
  MethodInput,
  MethodName,
  MethodOutput,
  RendererClient,
  Result,
  UploadProgress,
  WorkspaceEntry,
} from './types.ts';

type Source = { kind: 'path'; path: string } | { kind: 'upload'; uploadId: string; fileName: string };

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 8000;

function failure(code: string, message: string): { ok: false; error: ApiError } {
  return { ok: false, error: { code, message } };
}

/** Turns a non-JSON or non-200 HTTP answer into an error value the UI can show. */
function httpFailure(status: number, body: string): { ok: false; error: ApiError } {
  if (status === 401) {
    return failure(
      'unauthorized',
      'The server did not accept this session. Open the URL printed by "saenggak serve" (it carries the token after #token=).',
    );
  }
  if (status === 403) return failure('forbidden', 'The server refused a request from this page (origin check).');
  return failure('http_' + status, body.trim().slice(0, 300) || `HTTP ${status}`);
}

export class HttpClient implements RendererClient {
  readonly transport = 'http' as const;
  #listeners = new Map<EventName, Set<(data: never) => void>>();
  #reconnectListeners = new Set<() => void>();
  #connectionListeners = new Set<(connected: boolean) => void>();
  #socket: WebSocket | null = null;
  #retryMs = RECONNECT_MIN_MS;
  #everConnected = false;

  /** The remote lab's origin (#21) when this client talks to one, else null (same origin). */
  readonly remote: string | null;

  constructor(
    private readonly base: string = '',
    private readonly token: string | null = null,
  ) {
    this.remote = base || null;
  }

  async listFiles(path: string): Promise<Result<WorkspaceEntry[]>> {
    try {
      const res = await fetch(`${this.base}/api/files?path=${encodeURIComponent(path)}`, { credentials: 'omit', headers: this.#authHeaders() });
      const text = await res.text();
      if (!res.ok) return httpFailure(res.status, text);
      return JSON.parse(text) as Result<WorkspaceEntry[]>;
    } catch (err) {
      return failure('network', `Cannot reach the server: ${(err as Error).message}`);
    }
  }

  /**
   * Fetched with the token (a plain link could not carry it), then handed to the browser as a download of a
   * blob: URL under the file's own name. Fine for run artifacts (adapters, reports, logs); a multi-GB model
   * folder is better copied with scp.
   */
  async download(path: string): Promise<ApiError | null> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/file?path=${encodeURIComponent(path)}`, { credentials: 'omit', headers: this.#authHeaders() });
    } catch (err) {
      return failure('network', `Cannot reach the server: ${(err as Error).message}`).error;
    }
    if (!res.ok) return httpFailure(res.status, await res.text()).error;
    const href = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = href;
    a.download = path.split('/').pop() || 'download';
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60_000);
    return null;
  }

  #authHeaders(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<Result<MethodOutput<M>>> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/call/${method}`, {
        method: 'POST',
        credentials: 'omit',
        headers: { 'content-type': 'application/json', ...this.#authHeaders() },
        body: JSON.stringify(input ?? {}),
      });
    } catch (err) {
      return failure('network', `Cannot reach the server: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) return httpFailure(res.status, text);
    try {
      return JSON.parse(text) as Result<MethodOutput<M>>;
    } catch {
      return failure('bad_response', `The server sent something that is not JSON for ${method}.`);
    }
  }

  /** XMLHttpRequest rather than fetch: it reports upload progress and streams the File without copying it. */
  upload(file: File, onProgress?: UploadProgress): Promise<Result<Source>> {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${this.base}/api/upload?name=${encodeURIComponent(file.name)}`);
      xhr.setRequestHeader('content-type', 'application/octet-stream');
      for (const [name, value] of Object.entries(this.#authHeaders())) xhr.setRequestHeader(name, value);
      if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
      xhr.onerror = () => resolve(failure('network', `Upload of ${file.name} failed: the connection was lost.`));
      xhr.onabort = () => resolve(failure('aborted', `Upload of ${file.name} was aborted.`));
      xhr.onload = () => {
        if (xhr.status !== 200) return resolve(httpFailure(xhr.status, xhr.responseText));
        try {
          resolve(JSON.parse(xhr.responseText) as Result<Source>);
        } catch {
          resolve(failure('bad_response', 'The server answered the upload with something that is not JSON.'));
        }
      };
      xhr.send(file);
    });
  }

  on<E extends EventName>(event: E, listener: (data: Events[E]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as (data: never) => void);
    this.#connect();
    return () => set.delete(listener as (data: never) => void);
  }

  onReconnect(listener: () => void): () => void {
    this.#reconnectListeners.add(listener);
    return () => this.#reconnectListeners.delete(listener);
  }

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.#connectionListeners.add(listener);
    return () => this.#connectionListeners.delete(listener);
  }

  #connect(): void {
    if (this.#socket || typeof WebSocket === 'undefined') return;
    const origin = this.base || location.origin;
    const url = origin.replace(/^http/, 'ws') + '/api/events';
    // Browsers cannot set headers on a WebSocket: the token rides in the subprotocol list, and the server
    // selects `saenggak` so it is not echoed back.
    const socket = new WebSocket(url, this.token ? ['saenggak', `bearer.${this.token}`] : []);
    this.#socket = socket;
    socket.onopen = () => {
      this.#retryMs = RECONNECT_MIN_MS;
      for (const l of this.#connectionListeners) l(true);
      if (this.#everConnected) for (const l of this.#reconnectListeners) l();
      this.#everConnected = true;
    };
    socket.onmessage = (e) => {
      let msg: EventMessage;
      try {
        msg = JSON.parse(String(e.data)) as EventMessage;
      } catch {
        return;
      }
      for (const l of this.#listeners.get(msg.event) ?? []) (l as (data: unknown) => void)(msg.data);
    };
    socket.onclose = () => {
      this.#socket = null;
      for (const l of this.#connectionListeners) l(false);
      // Back off so a stopped server is not hammered; the page keeps working for calls meanwhile.
      setTimeout(() => this.#connect(), this.#retryMs);
      this.#retryMs = Math.min(this.#retryMs * 2, RECONNECT_MAX_MS);
    };
  }
}
