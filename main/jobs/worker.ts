// Entry point of a job process (child_process.fork with tsx's loader, or Electron's utilityProcess).
// Waits for one 'start' message, runs the kind, reports the result, and exits. A thrown error is
// reported as a message; a crash (process.exit, a native fault, SIGKILL) is detected by the parent.
// First import: onnxruntime's binding comes from the installed GPU runtime when there is one (#29).
import '../devices/gpu-runtime/redirect.ts';
import { builtinJobKinds } from './kinds/index.ts';
import type { JobContext, JobKindModule, ParentMessage, WorkerMessage } from './job-kind.ts';
import { createWorkerChannel } from './worker-channel.ts';

const channel = createWorkerChannel();
const abort = new AbortController();

async function loadKind(kind: string, moduleUrl: string | null): Promise<JobKindModule> {
  if (moduleUrl) return (await import(moduleUrl)) as JobKindModule;
  const load = builtinJobKinds[kind];
  if (!load) throw new Error(`unknown job kind "${kind}" (known: ${Object.keys(builtinJobKinds).join(', ')})`);
  return load();
}

async function runJob(start: Extract<ParentMessage, { type: 'start' }>): Promise<void> {
  const send = (message: WorkerMessage) => channel.send(message);
  const ctx: JobContext = {
    progress: (report) => send({ type: 'progress', ...report }),
    log: (line) => send({ type: 'log', line }),
    signal: abort.signal,
    workspace: start.workspace,
    jobDir: start.jobDir,
    jobId: start.jobId,
  };
  try {
    const kind = await loadKind(start.kind, start.moduleUrl);
    const value = await kind.run(start.input, ctx);
    send({ type: 'result', value: value ?? null });
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    send({ type: 'error', message, cancelled: abort.signal.aborted });
  }
  await channel.flush();
  process.exit(0);
}

channel.onMessage((message: ParentMessage) => {
  if (message.type === 'start') void runJob(message);
  else if (message.type === 'cancel') abort.abort(new Error('cancelled by the user'));
});
