export {
  exportedConfig,
  exportModel,
  ExportError,
  mergeAdapter,
  ONNX_DATA,
  ONNX_FOLDER,
  ONNX_MODEL,
} from './model-folder';
export type { ExportOptions, ExportProgress, ExportResult } from './model-folder';
export { exportGguf, GGUF_DTYPES, writeGguf, type GgufDtype } from './gguf';
