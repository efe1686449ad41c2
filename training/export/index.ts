export { exportedConfig, exportModel, ExportError, mergeAdapter, ONNX_DATA, ONNX_FOLDER, ONNX_MODEL } from './export';
export type { ExportOptions, ExportProgress, ExportResult } from './export';
