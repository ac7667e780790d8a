// Desktop client: every call and event goes through the preload's single bridge object.
import type {
  ElectronBridge,
  EventName,
  Events,
  MethodInput,
  MethodName,
  MethodOutput,
  RendererClient,
  Result,
} from './types.ts';

type Source = { kind: 'path'; path: string } | { kind: 'upload'; uploadId: string; fileName: string };

export class ElectronClient implements RendererClient {
  readonly transport = 'electron' as const;
  readonly remote = null;

  constructor(private readonly bridge: ElectronBridge) {}

  async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<Result<MethodOutput<M>>> {
    try {
      return (await this.bridge.invoke(method, input ?? {})) as Result<MethodOutput<M>>;
    } catch (err) {
      return { ok: false, error: { code: 'ipc', message: `IPC call ${method} failed: ${(err as Error).message}` } };
    }
  }

  on<E extends EventName>(event: E, listener: (data: Events[E]) => void): () => void {
    return this.bridge.onEvent((msg) => {
      if (msg.event === event) listener(msg.data as Events[E]);
    });
  }

  /** The main process reads local files itself: no bytes cross IPC, only the path. */
  async upload(file: File): Promise<Result<Source>> {
    const path = this.bridge.pathForFile(file);
    if (!path) {
      return {
        ok: false,
        error: { code: 'invalid_input', message: `${file.name} has no path on disk; save it to a file first.` },
      };
    }
    return { ok: true, value: { kind: 'path', path } };
  }

  /** IPC never disconnects while the window lives. */
  onReconnect(): () => void {
    return () => {};
  }

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    listener(true);
    return () => {};
  }
}
