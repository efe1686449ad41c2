/** Chat examples to token ids and assistant masks (encode.ts), and those to padded, bucketed batches (batching.ts). */
export { encodeChat, encodeChats, EncodeError } from './encode';
export type {
  ChatExample,
  ChatMessage,
  ChatRole,
  DropReason,
  DroppedExample,
  EncodedExample,
  EncodeOptions,
} from './encode';
export { batchedData, bucketLength, makeBatch, orderedBatches, shuffledBatches } from './batching';
export type { BatchingOptions } from './batching';
