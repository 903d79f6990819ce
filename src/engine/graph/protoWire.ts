// Just enough of the protobuf wire format to splice new fields into an encoded ONNX model,
// so weights and fields the ONNX schema package does not know are copied byte for byte.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

export interface WireField {
  readonly fieldNumber: number;
  /** Byte range of the whole field (tag, length and payload). */
  readonly start: number;
  readonly end: number;
  /** Byte range of the payload of a length-delimited field. */
  readonly payloadStart: number;
}

function readVarint(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let position = offset;
  for (;;) {
    if (position >= bytes.length) throw new RangeError('truncated varint');
    const byte = bytes[position++];
    // Multiplication keeps precision beyond 32 bits (lengths of large models).
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: position };
    shift += 7;
    if (shift > 63) throw new RangeError('varint too long');
  }
}

export function encodeVarint(value: number): Uint8Array {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Uint8Array.from(out);
}

/** Top-level fields of one message, in order. */
export function readFields(bytes: Uint8Array, start = 0, end = bytes.length): WireField[] {
  const fields: WireField[] = [];
  let position = start;
  while (position < end) {
    const fieldStart = position;
    const tag = readVarint(bytes, position);
    position = tag.next;
    const fieldNumber = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    let payloadStart = position;
    switch (wireType) {
      case WIRE_VARINT:
        position = readVarint(bytes, position).next;
        break;
      case WIRE_FIXED64:
        position += 8;
        break;
      case WIRE_LENGTH_DELIMITED: {
        const length = readVarint(bytes, position);
        payloadStart = length.next;
        position = length.next + length.value;
        break;
      }
      case WIRE_FIXED32:
        position += 4;
        break;
      default:
        throw new RangeError(`unsupported wire type ${wireType}`);
    }
    if (position > end) throw new RangeError('field runs past the end of its message');
    fields.push({ fieldNumber, start: fieldStart, end: position, payloadStart });
  }
  return fields;
}

/** A length-delimited field: tag, length, payload. */
export function lengthDelimited(fieldNumber: number, payload: readonly Uint8Array[]): Uint8Array[] {
  const length = payload.reduce((sum, part) => sum + part.length, 0);
  return [encodeVarint(fieldNumber * 8 + WIRE_LENGTH_DELIMITED), encodeVarint(length), ...payload];
}
