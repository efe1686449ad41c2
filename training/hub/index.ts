export {
  cachedCommit,
  cachedSnapshot,
  DEFAULT_BASE_MODEL,
  DEFAULT_REVISION,
  HubError,
  hubCacheDir,
  isCommitHash,
  isRepoId,
  missingModelFiles,
  offlineByEnvironment,
  pullCommand,
  repoCacheFolder,
  resolveModel,
  shardsOf,
  type CacheLookupOptions,
  type HubErrorCode,
} from './cache';
export { MODEL_FOLDER_FILES, pullModel, type PullOptions, type PullProgress } from './pull';
export { formatBytes, pullProgressBar, renderPullProgress } from './progress';
