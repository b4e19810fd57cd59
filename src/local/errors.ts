/**
 * Errors in Unkey's envelope. A handler throws an ApiError; the server turns it into
 * `{meta:{requestId}, error:{title, detail, status, type, errors?}}` with the content type the
 * contract declares for that operation and status (see server.ts).
 */

export interface ValidationErrorItem {
  location: string;
  message: string;
  fix?: string;
}

/** Status → title, as Unkey's error middleware sets them (behavior doc §4). */
export const STATUS_TITLES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflicting Resource",
  410: "Resource Gone",
  412: "Precondition Failed",
  413: "Request Entity Too Large",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Codes whose title differs from the status default. */
const CODE_TITLES: Readonly<Record<string, string>> = {
  "unkey/authorization/insufficient_permissions": "Insufficient Permissions",
  "unkey/authorization/key_disabled": "Key is disabled",
  "unkey/authorization/workspace_disabled": "Workspace is disabled",
  "unkey/application/protected_resource": "Resource is protected",
};

const DOCS_BASE = "https://unkey.com/docs/errors/";

export function errorTypeUrl(code: string): string {
  return DOCS_BASE + code;
}

export function errorTitle(status: number, code: string): string {
  return CODE_TITLES[code] ?? STATUS_TITLES[status] ?? "Error";
}

export class ApiError extends Error {
  readonly status: number;
  /** `<system>/<category>/<specific>`, e.g. `unkey/data/key_not_found`. */
  readonly code: string;
  readonly detail: string;
  readonly errors?: ValidationErrorItem[];

  constructor(status: number, code: string, detail: string, errors?: ValidationErrorItem[]) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = detail;
    // Unkey always sends `errors` on 400 (the SDK requires it); handler 400s carry [].
    this.errors = errors ?? (status === 400 ? [] : undefined);
  }

  get title(): string {
    return errorTitle(this.status, this.code);
  }

  get type(): string {
    return errorTypeUrl(this.code);
  }

  toBody(requestId: string): unknown {
    const error: Record<string, unknown> = {
      title: this.title,
      detail: this.detail,
      status: this.status,
      type: this.type,
    };
    if (this.errors) error.errors = this.errors;
    return { meta: { requestId }, error };
  }
}

/** Shorthands for the errors handlers throw most. */
export function badRequest(detail: string, errors?: ValidationErrorItem[]): ApiError {
  return new ApiError(400, "unkey/application/invalid_input", detail, errors ?? []);
}

export type NotFoundKind =
  | "key"
  | "api"
  | "identity"
  | "permission"
  | "role"
  | "ratelimit_namespace"
  | "ratelimit_override"
  | "migration"
  | "workspace"
  | "key_space";

export function notFound(kind: NotFoundKind, detail: string): ApiError {
  return new ApiError(404, `unkey/data/${kind}_not_found`, detail);
}

export function conflict(kind: "identity" | "role" | "permission", detail: string): ApiError {
  return new ApiError(409, `unkey/data/${kind}_already_exists`, detail);
}

export function preconditionFailed(detail: string): ApiError {
  return new ApiError(412, "unkey/application/precondition_failed", detail);
}
