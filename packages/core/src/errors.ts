/**
 * Typed errors of @peft. Every error carries a stable `code`, a `kind` that says whose fault it is (and so how the CLI
 * reports it), and, where one exists, the file, field or tensor at fault, so a caller can branch on the class and a
 * user can read what to fix.
 *
 * Every error class of every @peft package derives from {@link PeftError}. Recognise one with {@link isPeftError} (or
 * `SomeError.isInstance(e)`, or `instanceof`): those test a `Symbol.for('peft.error')` brand, not the prototype alone,
 * so they hold across two copies of a package (a CommonJS and an ESM build, or two installed versions).
 */

/**
 * Whose fault an error is, and the CLI's exit code for it:
 * - `input`: a flag, config value or file content the user gave is invalid (exit 2);
 * - `data`: a data, model or adapter file is missing, corrupt or does not fit (exit 1);
 * - `environment`: the machine or a service is not as needed (no backend, a file system fault, an unreachable server; exit 1);
 * - `internal`: a bug (exit 70, reported with its stack).
 */
export type PeftErrorKind = 'input' | 'data' | 'environment' | 'internal';

export interface PeftErrorOptions {
  readonly cause?: unknown;
  /** Defaults to `data`. */
  readonly kind?: PeftErrorKind;
  /**
   * The exit code the CLI ends with, where it is not the kind's own (130/143: a run a signal stopped; 69: a service
   * that is down). Carried by the error, so every command reports it the same way.
   */
  readonly exitCode?: number;
}

const PEFT_ERROR_BRAND = Symbol.for('peft.error');

/** True when `value` is an error of any @peft package, of any copy of it. */
export function isPeftError(value: unknown): value is PeftError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PEFT_ERROR_BRAND] === true;
}

/**
 * `value instanceof cls`, across package copies: true by prototype, or when `value` carries the brand and a class of
 * the same name as `cls` is on its prototype chain.
 */
function isInstanceOfClass(cls: abstract new (...args: never[]) => unknown, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(cls, value)) return true;
  if (!isPeftError(value)) return false;
  for (let p = Object.getPrototypeOf(value); p !== null && p !== Error.prototype; p = Object.getPrototypeOf(p)) {
    if ((p as { constructor?: { name?: string } }).constructor?.name === cls.name) return true;
  }
  return false;
}

/** The root of every @peft error. */
export class PeftError extends Error {
  readonly code: string;
  readonly kind: PeftErrorKind;
  /** The CLI's exit code for this error when it is not its kind's (see {@link PeftErrorOptions.exitCode}). */
  readonly exitCode: number | undefined;
  constructor(code: string, message: string, options: PeftErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.kind = options.kind ?? 'data';
    this.exitCode = options.exitCode;
    Object.defineProperty(this, PEFT_ERROR_BRAND, { value: true, enumerable: false });
  }

  /** `SomeError.isInstance(e)`: `e` is a `SomeError` (or a subclass), from this copy of the package or another. */
  static isInstance<T>(this: abstract new (...args: never[]) => T, value: unknown): value is T {
    return isInstanceOfClass(this, value);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isInstanceOfClass(this, value);
  }
}

/** A configuration value is missing, of the wrong type or out of range. `field` names it. */
export class ConfigError extends PeftError {
  readonly field: string;
  /** `kind` defaults to `input`; a loader of a model's or adapter's config file passes `data`. */
  constructor(field: string, message: string, options: PeftErrorOptions = {}) {
    super('E_CONFIG', `${field}: ${message}`, { kind: 'input', ...options });
    this.field = field;
  }
}

/**
 * A tensor has a shape other than the one required: the one shape-mismatch error. Thrown with no `file`, it is a caller's
 * mistake (kind `internal`: in the CLI, a bug); {@link TensorShapeMismatchError} is the same error about a tensor read
 * from a file (kind `data`).
 */
export class ShapeError extends PeftError {
  readonly tensor: string;
  readonly expected: readonly number[];
  readonly found: readonly number[];
  constructor(
    tensor: string,
    expected: readonly number[],
    found: readonly number[],
    where?: string,
    options: PeftErrorOptions & { readonly code?: string } = {},
  ) {
    super(
      options.code ?? 'E_SHAPE',
      `${where ? `${where}: ` : ''}tensor '${tensor}' has shape [${found.join(', ')}], expected [${expected.join(', ')}]`,
      { kind: 'internal', ...options },
    );
    this.tensor = tensor;
    this.expected = expected;
    this.found = found;
  }
}

/** Two methods claim a model site that cannot be shared. */
export class SiteConflictError extends PeftError {
  readonly site: string;
  readonly parts: readonly [string, string];
  constructor(site: string, a: string, b: string) {
    super('E_SITE_CONFLICT', `site '${site}' is claimed by both '${a}' and '${b}', and it cannot be shared`, { kind: 'input' });
    this.site = site;
    this.parts = [a, b];
  }
}

/** Base of all safetensors format errors; names the file and, where known, the tensor. */
export class SafetensorsError extends PeftError {
  readonly file: string;
  readonly tensor: string | undefined;
  constructor(code: string, file: string, tensor: string | undefined, message: string) {
    super(code, `${file}${tensor !== undefined ? ` [tensor '${tensor}']` : ''}: ${message}`);
    this.file = file;
    this.tensor = tensor;
  }
}
/** The file ends before its 8-byte header length, its header, or its data. */
export class SafetensorsTruncatedError extends SafetensorsError {
  constructor(file: string, tensor: string | undefined, message: string) {
    super('E_SAFETENSORS_TRUNCATED', file, tensor, message);
  }
}
/** The header length field points past the end of the file. */
export class SafetensorsHeaderTooLongError extends SafetensorsError {
  constructor(file: string, headerLength: number, fileLength: number) {
    super(
      'E_SAFETENSORS_HEADER_TOO_LONG',
      file,
      undefined,
      `header length ${headerLength} exceeds the ${fileLength - 8} bytes that follow the length field`,
    );
  }
}
/** The header is not valid JSON or not of the safetensors form. */
export class SafetensorsHeaderError extends SafetensorsError {
  constructor(file: string, tensor: string | undefined, message: string) {
    super('E_SAFETENSORS_HEADER', file, tensor, message);
  }
}
/** Two tensors' byte ranges overlap. */
export class SafetensorsOverlapError extends SafetensorsError {
  constructor(file: string, tensor: string, other: string) {
    super('E_SAFETENSORS_OVERLAP', file, tensor, `data_offsets overlap those of tensor '${other}'`);
  }
}
/** The byte ranges leave a hole, or do not start at 0, or do not cover the data section to its end. */
export class SafetensorsGapError extends SafetensorsError {
  constructor(file: string, tensor: string | undefined, message: string) {
    super('E_SAFETENSORS_GAP', file, tensor, message);
  }
}
/** A tensor's shape times its dtype size differs from its byte range. */
export class SafetensorsShapeMismatchError extends SafetensorsError {
  constructor(file: string, tensor: string, shape: readonly number[], dtype: string, bytes: number) {
    super(
      'E_SAFETENSORS_SHAPE',
      file,
      tensor,
      `shape [${shape.join(', ')}] of ${dtype} needs ${shapeBytes(shape, dtype)} bytes, but data_offsets span ${bytes}`,
    );
  }
}
/** A dtype this reader does not know. */
export class SafetensorsDtypeError extends SafetensorsError {
  constructor(file: string, tensor: string, dtype: string) {
    super('E_SAFETENSORS_DTYPE', file, tensor, `unknown or unsupported dtype '${dtype}'`);
  }
}

/** A checkpoint or adapter directory lacks a file, a tensor, or holds one of the wrong shape. */
export class CheckpointError extends PeftError {
  readonly path: string;
  constructor(code: string, path: string, message: string, options: PeftErrorOptions = {}) {
    super(code, `${path}: ${message}`, { kind: 'data', ...options });
    this.path = path;
  }
}
/** A tensor the loader needs is absent. */
export class MissingTensorError extends CheckpointError {
  readonly tensor: string;
  constructor(path: string, tensor: string) {
    super('E_MISSING_TENSOR', path, `tensor '${tensor}' is missing`);
    this.tensor = tensor;
  }
}
/** A tensor read from `path` has the wrong shape for the model or method it is loaded into: a {@link ShapeError} naming the file. */
export class TensorShapeMismatchError extends ShapeError {
  readonly path: string;
  constructor(path: string, tensor: string, expected: readonly number[], found: readonly number[]) {
    super(tensor, expected, found, path, { code: 'E_TENSOR_SHAPE', kind: 'data' });
    this.path = path;
  }
}
/** An adapter was trained for another method, config or model shape than the one it is loaded into. */
export class AdapterMismatchError extends CheckpointError {
  readonly field: string;
  constructor(path: string, field: string, expected: unknown, found: unknown) {
    super(
      'E_ADAPTER_MISMATCH',
      path,
      `field '${field}' is ${JSON.stringify(found)} in the adapter, but ${JSON.stringify(expected)} here`,
    );
    this.field = field;
  }
}

/** A tensor read from `path` holds NaN or ±Infinity: training or decoding on it would give garbage. */
export class NonFiniteTensorError extends CheckpointError {
  readonly tensor: string;
  /** The flat index of the first non-finite value. */
  readonly index: number;
  constructor(path: string, tensor: string, index: number, value: number) {
    super('E_NON_FINITE_TENSOR', path, `tensor '${tensor}' holds ${value} at flat index ${index}; every value must be finite`);
    this.tensor = tensor;
    this.index = index;
  }
}

/** No usable TensorFlow.js backend could be initialised. */
export class BackendError extends PeftError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_BACKEND', message, { ...options, kind: 'environment' });
  }
}

function shapeBytes(shape: readonly number[], dtype: string): number {
  const size = shape.reduce((a, b) => a * b, 1);
  const width: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
  return size * (width[dtype] ?? NaN);
}

/**
 * A file-system call failed: names the path, the operation and the errno (ENOSPC, EROFS, ENOTDIR, EISDIR, ELOOP,
 * EACCES, …) in words. Every read and write of a run goes through {@link toFileSystemError}, so a full disk or a
 * read-only folder reads the same wherever it strikes.
 */
export class FileSystemError extends PeftError {
  readonly path: string;
  readonly errno: string;
  readonly operation: string;
  constructor(path: string, errno: string, operation: string, options?: { cause?: unknown }) {
    super('E_FS', `${path}: cannot ${operation}: ${ERRNO_WORDS[errno] ?? 'file-system error'} (${errno})`, options);
    this.path = path;
    this.errno = errno;
    this.operation = operation;
  }
}

const ERRNO_WORDS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'not a directory',
  EISDIR: 'it is a directory',
  ELOOP: 'too many levels of symbolic links',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  EEXIST: 'it already exists',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error',
  EXDEV: 'it is on another device',
  EBUSY: 'the device or resource is busy',
  ENOTEMPTY: 'the directory is not empty',
  EFBIG: 'the file is too large',
  EINVAL: 'the file system does not support this operation',
};

/** Whether `e` is a Node system error of the file system (it carries an errno `code` such as 'ENOSPC'). */
export function isFileSystemErrno(e: unknown): e is Error & { code: string; path?: string; syscall?: string } {
  return e instanceof Error && !(e instanceof PeftError) && typeof (e as { code?: unknown }).code === 'string' && /^E[A-Z]+$/.test((e as unknown as { code: string }).code);
}

/** Whether `e` says a file does not exist: Node's ENOENT, raw or mapped to a {@link FileSystemError}. */
export function isFileNotFound(e: unknown): boolean {
  if (FileSystemError.isInstance(e)) return e.errno === 'ENOENT';
  return (e as { code?: unknown } | null)?.code === 'ENOENT';
}

/**
 * The one mapping of file-system failures to {@link FileSystemError}: a Node errno error becomes a typed error naming
 * `path` (or the path Node reports) and what was being done (`operation`, else the syscall); anything else is returned
 * unchanged. Use as `catch (e) { throw toFileSystemError(e, path, 'write') }`.
 */
export function toFileSystemError(e: unknown, path?: string, operation?: string): unknown {
  if (!isFileSystemErrno(e)) return e;
  return new FileSystemError(path ?? e.path ?? '(unknown path)', e.code, operation ?? e.syscall ?? 'access it', { cause: e });
}
