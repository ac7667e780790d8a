// The smallest useful ONNX model: y = Identity(x) over float[1], encoded by the engine's ONNX emitter (the
// one protobuf writer in the app). Creating and running a session on it is what "this execution provider
// works here" means. The emitter needs nothing but Node, so the probe child still loads onnxruntime only
// after its binding redirect.
import { encodeModel } from '../engine/onnx/emit.ts';

export function identityModel(): Uint8Array {
  return encodeModel({
    irVersion: 8,
    opsetImports: [{ domain: '', version: 13 }],
    graph: {
      name: 'device-probe',
      nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'], name: 'probe' }],
      inputs: [{ name: 'x', dtype: 'float32', shape: [1] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [1] }],
      initializers: [],
    },
  });
}
