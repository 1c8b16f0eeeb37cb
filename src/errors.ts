import { GraphQLError } from "graphql";

/**
 * The spec's error codes. Domain code throws these; being GraphQLErrors they pass Yoga's masking
 * with their code and HTTP status, while anything else is masked (see maskError in app.ts).
 */
export type ErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "BAD_USER_INPUT"
  | "CONFLICT"
  | "RATE_LIMITED"
  | "INTERNAL_SERVER_ERROR";

export interface FieldError {
  path: string[];
  message: string;
}

export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
  }
}

export class Unauthenticated extends AppError {
  constructor(message = "A valid API key is required: send it as `Authorization: Bearer <key>` or `X-API-Key`.") {
    super("UNAUTHENTICATED", message, { http: { status: 401 } });
  }
}

export class Forbidden extends AppError {
  constructor(message = "This API key may not do that.") {
    super("FORBIDDEN", message);
  }
}

export class NotFound extends AppError {
  constructor(what: string) {
    super("NOT_FOUND", `${what} not found.`);
  }
}

export class Conflict extends AppError {
  constructor(message: string) {
    super("CONFLICT", message);
  }
}

export class RateLimited extends AppError {
  constructor(retryAfterSeconds: number) {
    super("RATE_LIMITED", `Rate limit exceeded; retry in ${retryAfterSeconds} s.`, {
      http: { status: 429, headers: { "Retry-After": String(retryAfterSeconds) } },
    });
  }
}

export class InvalidInput extends AppError {
  readonly fieldErrors: FieldError[];
  constructor(fieldErrors: FieldError[]) {
    const summary = fieldErrors.map((e) => `${e.path.join(".")}: ${e.message}`).join("; ");
    super("BAD_USER_INPUT", `Invalid input: ${summary}`, { fieldErrors });
    this.fieldErrors = fieldErrors;
  }

  static field(path: string[], message: string): InvalidInput {
    return new InvalidInput([{ path, message }]);
  }
}

/** Collects field errors while validating an input, then throws them all at once. */
export class FieldErrors {
  private readonly errors: FieldError[] = [];

  add(path: string[], message: string): void {
    this.errors.push({ path, message });
  }

  get isEmpty(): boolean {
    return this.errors.length === 0;
  }

  /** The errors collected so far. */
  get list(): readonly FieldError[] {
    return this.errors;
  }

  throwIfAny(): void {
    if (this.errors.length > 0) throw new InvalidInput(this.errors);
  }
}

/** The PostgreSQL SQLSTATE behind an error: from a model query, a raw one, or the driver itself. */
export function sqlStateOf(error: unknown): string | undefined {
  // From the driver itself (pg's and PGlite's DatabaseError carry a severity), or through Prisma.
  const direct = error as { code?: unknown; severity?: unknown } | null;
  if (typeof direct?.severity === "string" && typeof direct.code === "string") return direct.code;
  const meta = (error as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } } | null)?.meta;
  const code = meta?.driverAdapterError?.cause?.originalCode;
  return typeof code === "string" ? code : undefined;
}

/** A unique value taken by a concurrent writer, which a caller may resolve by trying again. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "P2002" || sqlStateOf(error) === "23505";
}

/**
 * Maps what only the database can detect, at write time, to a spec error: a unique value taken
 * by a concurrent writer, a row deleted under a concurrent write, a number out of its column's
 * range. Anything else stays unexpected.
 */
export function fromPrismaError(error: unknown): AppError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const state = sqlStateOf(error);
  if (isUniqueViolation(error)) return new Conflict("A record with the same unique value already exists.");
  if (code === "P2025") return new NotFound("Record");
  if (code === "P2003" || state === "23503") return new NotFound("The record this write refers to");
  if (state === "22003") return InvalidInput.field([], "A number is out of the range that can be stored.");
  return undefined;
}
