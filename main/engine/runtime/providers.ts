// Execution-provider choice: CUDA when its libraries are installed, else WebGPU when an adapter
// exists, else CPU. Each candidate is proven by creating a tiny session on it, and the result says
// which provider runs and why each better one was skipped, so a user reading the log knows what to
// install.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { encodeModel } from '../onnx/emit.ts';

export type ExecutionProviderName = 'cuda' | 'webgpu' | 'cpu';
export type ProviderRequest = ExecutionProviderName | 'auto';

export type ProviderChoice = {
  provider: ExecutionProviderName;
  /** Why each provider better than the chosen one was not used. */
  skipped: { provider: ExecutionProviderName; reason: string }[];
  /** One line for logs: "execution provider: cpu (cuda skipped: …; webgpu skipped: …)". */
  message: string;
};

/** The CUDA provider is a plug-in library next to onnxruntime-node's binding; its installer fetches it. */
const CUDA_LIBRARIES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];

/**
 * Folder holding onnxruntime-node's native binding and provider libraries: the installed GPU runtime's
 * copy when the app loaded that one (main/devices/gpu-runtime/redirect.ts publishes the loaded path under
 * this global symbol; the engine reads it without importing app code), else the bundled package's.
 */
export function onnxruntimeBinFolder(): string {
  const redirected = (globalThis as Record<symbol, { loaded?: { path: string } | null } | undefined>)[Symbol.for('saenggak.ortBindingRedirect')];
  if (redirected?.loaded?.path) return dirname(redirected.loaded.path);
  const require = createRequire(import.meta.url);
  const packageRoot = dirname(require.resolve('onnxruntime-node/package.json'));
  return join(packageRoot, 'bin', 'napi-v6', process.platform, process.arch);
}

/** Resolves (and caches) which execution provider to use. */
const cache = new Map<ProviderRequest, Promise<ProviderChoice>>();
export function chooseExecutionProvider(request: ProviderRequest = 'auto'): Promise<ProviderChoice> {
  // `--device` (main/cli/device-option.ts) sets this for the whole process: it wins over a config's or a
  // caller's provider, so one flag moves every session of the command to the chosen device.
  const forced = process.env.SAENGGAK_DEVICE_PROVIDER;
  if (forced === 'cpu' || forced === 'cuda' || forced === 'webgpu') request = forced;
  let choice = cache.get(request);
  if (!choice) {
    choice = resolveProvider(request);
    cache.set(request, choice);
  }
  return choice;
}

/** The order 'auto' tries: the fastest that works here wins. */
export const AUTO_PROVIDER_ORDER: readonly ExecutionProviderName[] = ['cuda', 'webgpu', 'cpu'];

/**
 * The one provider rule: the requested provider, or under 'auto' the first of AUTO_PROVIDER_ORDER that
 * works, given why each does not (`reasonOf` answers null when it works). A requested provider that does
 * not work is an error, not a fallback. The engine asks its own session probes (chooseExecutionProvider);
 * callers that already hold the machine's probe results (the app's memory estimate, from the Devices
 * page's probes) pass those, so both land on the same provider.
 */
export function chooseProviderFrom(request: ProviderRequest, reasonOf: (provider: ExecutionProviderName) => string | null): ProviderChoice {
  const skipped: ProviderChoice['skipped'] = [];
  const candidates: readonly ExecutionProviderName[] = request === 'auto' ? AUTO_PROVIDER_ORDER : [request];
  for (const provider of candidates) {
    const reason = reasonOf(provider);
    if (reason === null) {
      const skippedText = skipped.map((s) => `${s.provider} skipped: ${s.reason}`).join('; ');
      const how = request === 'auto' ? 'auto' : 'requested';
      const message = `execution provider: ${provider} (${how}${skippedText ? `; ${skippedText}` : ''})`;
      return { provider, skipped, message };
    }
    if (request !== 'auto') throw new Error(`execution provider '${provider}' was requested but is unavailable: ${reason}`);
    skipped.push({ provider, reason });
  }
  throw new Error(`no execution provider works: ${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')}`);
}

async function resolveProvider(request: ProviderRequest): Promise<ProviderChoice> {
  // Probe in the rule's order, stopping at the first that works (a probe creates a session: not free).
  const reasons = new Map<ExecutionProviderName, string | null>();
  for (const provider of request === 'auto' ? AUTO_PROVIDER_ORDER : [request]) {
    const reason = await whyUnavailable(provider);
    reasons.set(provider, reason);
    if (reason === null) break;
  }
  return chooseProviderFrom(request, (provider) => (reasons.has(provider) ? (reasons.get(provider) as string | null) : 'not probed'));
}

/** null when the provider works, else a reason a user can act on. */
async function whyUnavailable(provider: ExecutionProviderName): Promise<string | null> {
  if (provider === 'cuda') {
    if (process.platform !== 'linux' && process.platform !== 'win32') return `not built for ${process.platform}`;
    const folder = onnxruntimeBinFolder();
    const missing = CUDA_LIBRARIES.filter((lib) => !existsSync(join(folder, process.platform === 'win32' ? lib.replace(/^lib/, '').replace(/\.so$/, '.dll') : lib)));
    if (missing.length) return `${missing.join(', ')} not in ${folder} (install GPU support on the Devices page or with \`npx saenggak setup gpu\`)`;
  }
  return probeSession(provider);
}

/** Creates and runs a one-node session on the provider: the only reliable availability test. */
async function probeSession(provider: ExecutionProviderName): Promise<string | null> {
  const model = encodeModel({
    graph: {
      name: 'provider_probe',
      nodes: [{ opType: 'Add', inputs: ['x', 'x'], outputs: ['y'], name: 'probe/Add' }],
      inputs: [{ name: 'x', dtype: 'float32', shape: [2] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [2] }],
      initializers: [],
    },
  });
  let session: ort.InferenceSession | undefined;
  try {
    session = await ort.InferenceSession.create(model, { executionProviders: [provider] });
    const { y } = await session.run({ x: new ort.Tensor('float32', new Float32Array([1, 2]), [2]) });
    const data = (y.location === 'cpu' ? y.data : await y.getData()) as Float32Array;
    if (data[0] !== 2 || data[1] !== 4) return 'probe session computed a wrong result';
    return null;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return firstLine(message.replace(/^.*?(Failed to get a WebGPU adapter)/s, '$1'));
  } finally {
    await session?.release();
  }
}

function firstLine(text: string): string {
  const line = text.split('\n')[0].trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
