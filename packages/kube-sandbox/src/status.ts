/*
 * Errors as the Kubernetes API server reports them: every failure leaves the sandbox as a
 * `metav1.Status` object, because kubectl and client libraries branch on `reason` and `code`.
 */

/** @public */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** @public */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** @public */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code?: number;
}

/** A failure that is answered with a `Status` body and its HTTP code. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): KubeStatus {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** Identifies a resource the way the API server words it: `pods`, `roles.rbac.authorization.k8s.io`. */
export interface GroupResource {
  group: string;
  resource: string;
}

export function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

export function successStatus(details?: StatusDetails): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    ...(details ? { details } : {}),
  };
}

export function notFound(gr: GroupResource, name: string): ApiError {
  return new ApiError(
    404,
    'NotFound',
    `${qualifiedResource(gr)} "${name}" not found`,
    { name, group: gr.group || undefined, kind: gr.resource },
  );
}

export function resourceNotFound(): ApiError {
  return new ApiError(
    404,
    'NotFound',
    'the server could not find the requested resource',
    {},
  );
}

export function alreadyExists(gr: GroupResource, name: string): ApiError {
  return new ApiError(
    409,
    'AlreadyExists',
    `${qualifiedResource(gr)} "${name}" already exists`,
    { name, group: gr.group || undefined, kind: gr.resource },
  );
}

export function conflict(
  gr: GroupResource,
  name: string,
  why: string,
): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(
      gr,
    )} "${name}": ${why}`,
    { name, group: gr.group || undefined, kind: gr.resource },
  );
}

export function forbidden(
  gr: GroupResource,
  name: string | undefined,
  why: string,
): ApiError {
  const what = name
    ? `${qualifiedResource(gr)} "${name}"`
    : qualifiedResource(gr);
  return new ApiError(403, 'Forbidden', `${what} is forbidden: ${why}`, {
    ...(name ? { name } : {}),
    ...(gr.group ? { group: gr.group } : {}),
    kind: gr.resource,
  });
}

/** Forbidden for a non-resource URL, worded as the API server does. */
export function forbiddenPath(why: string): ApiError {
  return new ApiError(403, 'Forbidden', `forbidden: ${why}`, {});
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function methodNotAllowed(): ApiError {
  return new ApiError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
    {},
  );
}

export function gone(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function requestEntityTooLarge(limit: number): ApiError {
  return new ApiError(
    413,
    'RequestEntityTooLarge',
    `Request entity too large: limit is ${limit}`,
  );
}

export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got "${contentType}")`,
  );
}

export function notAcceptable(): ApiError {
  return new ApiError(
    406,
    'NotAcceptable',
    'only the following media types are accepted: application/json',
  );
}

export function internalError(message: string): ApiError {
  return new ApiError(
    500,
    'InternalError',
    `Internal error occurred: ${message}`,
    {
      causes: [{ message }],
    },
  );
}

/** One field failure, as in `field.ErrorList`. */
export interface FieldError {
  field: string;
  type:
    | 'FieldValueInvalid'
    | 'FieldValueRequired'
    | 'FieldValueForbidden'
    | 'FieldValueDuplicate'
    | 'FieldValueNotSupported'
    | 'FieldValueNotFound'
    | 'FieldValueTooLong';
  value?: unknown;
  detail?: string;
}

function describeFieldError(e: FieldError): string {
  switch (e.type) {
    case 'FieldValueRequired':
      return `Required value${e.detail ? `: ${e.detail}` : ''}`;
    case 'FieldValueForbidden':
      return `Forbidden${e.detail ? `: ${e.detail}` : ''}`;
    case 'FieldValueDuplicate':
      return `Duplicate value: ${JSON.stringify(e.value)}`;
    case 'FieldValueNotFound':
      return `Not found: ${JSON.stringify(e.value)}`;
    case 'FieldValueNotSupported':
      return `Unsupported value: ${JSON.stringify(e.value)}${
        e.detail ? `: ${e.detail}` : ''
      }`;
    case 'FieldValueTooLong':
      return `Too long: ${e.detail ?? ''}`;
    default:
      return `Invalid value: ${JSON.stringify(e.value)}${
        e.detail ? `: ${e.detail}` : ''
      }`;
  }
}

export function invalid(
  kind: string,
  group: string,
  name: string,
  errors: FieldError[],
): ApiError {
  const causes = errors.map(e => ({
    reason: e.type,
    message: describeFieldError(e),
    field: e.field,
  }));
  const summary = errors.map(e => `${e.field}: ${describeFieldError(e)}`);
  const joined = summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`;
  return new ApiError(
    422,
    'Invalid',
    `${kind} "${name}" is invalid: ${joined}`,
    {
      name,
      ...(group ? { group } : {}),
      kind,
      causes,
    },
  );
}

/** Turns anything thrown inside a handler into an ApiError, never leaking a stack to the client. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) {
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  return internalError(message);
}
