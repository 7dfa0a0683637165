// safetensors, the Hugging Face weights format (https://huggingface.co/docs/safetensors): an 8-byte little-endian
// header length, a JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {key: string}}`
// (padded with spaces to a multiple of 8 bytes), then the raw little-endian tensor bytes. Written here (float32) and
// read (float32, float64, float16, bfloat16, as float32) in a few dozen lines: no package does only this.

/** A tensor of a safetensors file, as float32 values in row-major order. */
export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

/** The tensors of a safetensors file by name, and its string metadata (`__metadata__`; empty when absent). */
export interface Safetensors {
  tensors: Record<string, NamedTensor>;
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';

/** Bytes per value of the dtypes read, and how one value becomes a float32. */
const DTYPES: Record<string, { bytes: number; read: (view: DataView, at: number) => number }> = {
  F32: { bytes: 4, read: (view, at) => view.getFloat32(at, true) },
  F64: { bytes: 8, read: (view, at) => view.getFloat64(at, true) },
  F16: { bytes: 2, read: (view, at) => halfToFloat(view.getUint16(at, true)) },
  BF16: { bytes: 2, read: (view, at) => bfloatToFloat(view.getUint16(at, true)) },
};

const conversion = new DataView(new ArrayBuffer(4));

function bfloatToFloat(bits: number): number {
  conversion.setUint32(0, bits << 16);
  return conversion.getFloat32(0);
}

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

const elements = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The bytes of a safetensors file holding `tensors` as float32 (in the order given) and `metadata`. */
export function encodeSafetensors(
  tensors: Readonly<Record<string, NamedTensor>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const header: Record<string, unknown> = Object.keys(metadata).length > 0 ? { [METADATA_KEY]: metadata } : {};
  let offset = 0;
  for (const [name, { shape, data }] of Object.entries(tensors)) {
    if (elements(shape) !== data.length)
      throw new Error(
        `Tensor "${name}" has ${data.length} values but its shape [${shape.join(', ')}] holds ${elements(shape)}.`,
      );
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + 4 * data.length] };
    offset += 4 * data.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const { data } of Object.values(tensors)) {
    for (let i = 0; i < data.length; i++, at += 4) view.setFloat32(at, data[i], true);
  }
  return bytes;
}

/** Reads a safetensors file's bytes; `where` names the file in errors, which say what is wrong. */
export function decodeSafetensors(bytes: Uint8Array, where: string): Safetensors {
  const damaged = (why: string) =>
    new Error(`${where} is not a readable safetensors file: ${why}. Save the weights again (safetensors' save_file).`);
  if (bytes.length < 8) throw damaged('it is shorter than its 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) throw damaged(`its header claims ${headerLength} bytes, more than the file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw damaged('its header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw damaged('its header is no object');
  const start = 8 + headerLength;
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>;
    const type = DTYPES[String(dtype)];
    if (type === undefined)
      throw new Error(
        `${where}: tensor "${name}" is ${String(dtype)}; gennet reads ${Object.keys(DTYPES).join(', ')}. ` +
          'Convert the weights to float32 first (tensor.float()).',
      );
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      throw damaged(`tensor "${name}" has no valid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0))
      throw damaged(`tensor "${name}" has no valid data_offsets`);
    const [begin, end] = offsets as [number, number];
    const count = elements(shape as number[]);
    if (end - begin !== count * type.bytes || start + end > bytes.length)
      throw damaged(`tensor "${name}" [${String(shape)}] does not fit its data_offsets ${begin}–${end}`);
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = type.read(view, start + begin + i * type.bytes);
    tensors[name] = { shape: shape as number[], data };
  }
  const metadata = (header[METADATA_KEY] ?? {}) as Record<string, string>;
  return { tensors, metadata };
}
