// Errors the engine reports to users: a stable code for the UI, a message written for people.
// Anything else thrown inside the engine is a bug and is reported as `internal`.

export type EngineErrorCode =
  | 'model-not-found'
  | 'no-onnx'
  | 'onnx-invalid'
  | 'unsafe-model'
  | 'not-transformer'
  | 'tokenizer'
  | 'config'
  | 'session'
  | 'input'
  | 'download'
  | 'no-model'
  | 'cancelled'
  | 'timeout'
  | 'engine-crashed'
  | 'internal';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export function isEngineError(error: unknown): error is EngineError {
  return error instanceof EngineError;
}

/** The text to show for any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
