// The smallest useful ONNX model: y = Identity(x) over float[1], hand-encoded as protobuf so the device
// probe needs nothing but onnxruntime. Creating and running a session on it is what "this execution
// provider works here" means.

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

const fieldVarint = (field: number, value: number) => [...varint(field << 3), ...varint(value)];
const fieldBytes = (field: number, bytes: number[]) => [...varint((field << 3) | 2), ...varint(bytes.length), ...bytes];
const fieldString = (field: number, text: string) => fieldBytes(field, [...new TextEncoder().encode(text)]);

/** ValueInfoProto for a float tensor of shape [1]. */
function floatValueInfo(name: string): number[] {
  const dim = fieldVarint(1, 1); // Dimension.dim_value
  const shape = fieldBytes(1, dim); // TensorShapeProto.dim
  const tensorType = [...fieldVarint(1, 1 /* FLOAT */), ...fieldBytes(2, shape)];
  const type = fieldBytes(1, tensorType); // TypeProto.tensor_type
  return [...fieldString(1, name), ...fieldBytes(2, type)];
}

export function identityModel(): Uint8Array {
  const node = [...fieldString(1, 'x'), ...fieldString(2, 'y'), ...fieldString(3, 'probe'), ...fieldString(4, 'Identity')];
  const graph = [
    ...fieldBytes(1, node),
    ...fieldString(2, 'device-probe'),
    ...fieldBytes(11, floatValueInfo('x')),
    ...fieldBytes(12, floatValueInfo('y')),
  ];
  const opset = [...fieldString(1, ''), ...fieldVarint(2, 13)];
  const model = [...fieldVarint(1, 8 /* ir_version */), ...fieldBytes(7, graph), ...fieldBytes(8, opset)];
  return new Uint8Array(model);
}
