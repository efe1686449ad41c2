/**
 * Weights as 8-bit integers for inference: symmetric, one scale per output column (w ≈ scale·q, q in [-127, 127]), the
 * layout onnxruntime's DynamicQuantizeMatMul reads (ops.ts). Per column, so one large column does not cost the others
 * their precision.
 */

export interface QuantizedMatrix {
  /** Row-major. */
  readonly data: Int8Array;
  /** One per column (per row for quantizeRows). */
  readonly scale: Float32Array;
}

/** A row-major [rows, cols] matrix, quantized column by column. */
export function quantizeColumns(w: Float32Array | Float64Array, rows: number, cols: number): QuantizedMatrix {
  return quantized(rows, cols, (r, c) => w[r * cols + c]);
}

/** A row-major [rows, cols] matrix (an embedding table) quantized row by row: `scale` holds one per row. */
export function quantizeRows(w: Float32Array | Float64Array, rows: number, cols: number): QuantizedMatrix {
  // The columns of the transpose, written back in the matrix's own layout.
  const at = (r: number, c: number) => c * cols + r;
  return quantized(cols, rows, (r, c) => w[at(r, c)], at);
}

/** The transpose [cols, rows] of a row-major [rows, cols] matrix (a tied embedding as an LM head), quantized. */
export function quantizeTransposed(w: Float32Array | Float64Array, rows: number, cols: number): QuantizedMatrix {
  return quantized(cols, rows, (r, c) => w[c * cols + r]);
}

/** The `rows` × `cols` matrix `value` describes, a scale per column; each int8 value goes to `index(row, col)`. */
function quantized(
  rows: number,
  cols: number,
  value: (row: number, col: number) => number,
  index = (row: number, col: number) => row * cols + col,
): QuantizedMatrix {
  const scale = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) scale[c] = Math.max(scale[c], Math.abs(value(r, c)));
  }
  for (let c = 0; c < cols; c++) scale[c] = scale[c] > 0 ? scale[c] / 127 : 1;
  const data = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) data[index(r, c)] = Math.round(value(r, c) / scale[c]);
  }
  return { data, scale };
}
