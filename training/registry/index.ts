export { openRegistry, ModelRegistry, registryPath, POINTER_FILE, LOCK_FILE, MANIFEST_FILE } from './registry';
export type { ActiveModel, ModelSource, RegisteredVersion, RegisterOptions, RegistryOptions } from './registry';
export type {
  ActivePointer,
  DatasetInfo,
  FileRecord,
  Hyperparameter,
  NewVersion,
  VersionManifest,
  VersionStatus,
} from './version-manifest';
export {
  CorruptFileError,
  InvalidSourceError,
  NothingToRollBackError,
  RegistryBusyError,
  RegistryError,
  UnknownVersionError,
  VersionIntegrityError,
} from './errors';
export type { IntegrityProblem } from './errors';
