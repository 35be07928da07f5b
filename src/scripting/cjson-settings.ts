/** lua-cjson's settings, one set per module table (cjson.new() makes another). */
export interface Settings {
  /** encode_sparse_array: convert (1) excessively sparse arrays to objects instead of failing. */
  sparseConvert: number;
  sparseRatio: number;
  sparseSafe: number;
  encodeMaxDepth: number;
  decodeMaxDepth: number;
  precision: number;
  keepBuffer: number;
  /** 0 off (an error), 1 on (NaN, Infinity), 2 null. */
  invalidNumbers: number;
  decodeInvalidNumbers: number;
}

export const defaults = (): Settings => ({
  sparseConvert: 0,
  sparseRatio: 2,
  sparseSafe: 10,
  encodeMaxDepth: 1000,
  decodeMaxDepth: 1000,
  precision: 14,
  keepBuffer: 1,
  invalidNumbers: 0,
  decodeInvalidNumbers: 1,
});
