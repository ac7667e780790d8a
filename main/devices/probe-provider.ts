// Child-process entry: tries to create and run a session on one execution provider and prints one JSON
// line `{ok, detail}`. It runs in its own process because a broken GPU driver can crash native code;
// the parent treats a crash or a timeout as "unavailable".
// First import: in place before onnxruntime-node loads, so the probe tests the binding the app would use.
import { loadedBinding } from './gpu-runtime/redirect.ts';
import { identityModel } from './probe-model.ts';

const provider = process.argv[2] ?? 'cpu';

async function probe(): Promise<{ ok: boolean; detail: string }> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(identityModel(), { executionProviders: [provider] });
  const x = new ort.Tensor('float32', new Float32Array([42]), [1]);
  const { y } = await session.run({ x });
  const value = (y!.data as Float32Array)[0];
  await session.release();
  if (value !== 42) return { ok: false, detail: `session ran but returned ${value} instead of 42` };
  return { ok: true, detail: 'created and ran a session' };
}

/** onnxruntime errors start with a source location and a lambda signature; keep the human part. */
function readableReason(error: unknown): string {
  const first = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
  const failed = first.indexOf('Failed');
  return (failed > 0 ? first.slice(failed) : first).trim();
}

probe().then(
  (result) => {
    process.stdout.write(JSON.stringify({ ...result, binding: loadedBinding() }) + '\n');
    process.exit(0);
  },
  (error) => {
    process.stdout.write(JSON.stringify({ ok: false, detail: readableReason(error), binding: loadedBinding() }) + '\n');
    process.exit(0);
  },
);
