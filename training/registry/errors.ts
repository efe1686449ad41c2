export { CorruptFileError } from '../../bot/core/durable-file';

/** Every refusal of the registry; the message says what is wrong and what to do. */
export class RegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class UnknownVersionError extends RegistryError {
  constructor(
    readonly root: string,
    readonly id: string,
  ) {
    super(`no model version ${JSON.stringify(id)} in ${root}: see history() for the versions kept`);
  }
}

export type IntegrityProblem = 'missing' | 'modified' | 'unexpected';

const PROBLEM_TEXT: Record<IntegrityProblem, string> = {
  missing: 'is missing',
  modified: 'differs from the file registered (sha256 or size changed)',
  unexpected: 'was not part of the version when it was registered',
};

/** A version whose files no longer match its manifest: it is refused, never loaded. */
export class VersionIntegrityError extends RegistryError {
  constructor(
    readonly id: string,
    readonly file: string,
    readonly problem: IntegrityProblem,
  ) {
    super(
      `model version ${id} is damaged: ${file} ${PROBLEM_TEXT[problem]}; it cannot be activated: register the model again or pick another version`,
    );
  }
}

export class NothingToRollBackError extends RegistryError {}

/** Another process (pid) kept the registry lock for longer than the caller waits. */
export class RegistryBusyError extends RegistryError {
  constructor(
    readonly root: string,
    readonly pid: number,
    waitedMs: number,
  ) {
    const holder = pid === process.pid ? 'this process' : `process ${pid}`;
    super(`the model registry ${root} is held by ${holder} (another training job?); gave up after ${waitedMs} ms`);
  }
}

/** A folder handed to register() that is not a finished model. */
export class InvalidSourceError extends RegistryError {
  constructor(
    readonly source: string,
    reason: string,
  ) {
    super(`cannot register ${source}: ${reason}`);
  }
}
