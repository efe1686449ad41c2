/**
 * Jest's node environment with the outer realm's typed-array constructors, as Jest already does
 * for Uint8Array and ArrayBuffer. onnxruntime-node returns outputs as typed arrays made outside
 * the test's vm context, and its Tensor checks `data instanceof Float32Array` (and friends)
 * against the test context's constructors; sharing them makes both sides agree.
 */
import { TestEnvironment } from 'jest-environment-node';

const TYPED_ARRAYS = [
  'Int8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

export default class TypedArrayEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}
