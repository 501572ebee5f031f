import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ApiError,
  badRequest,
  KubeStatus,
  notAcceptable,
  requestEntityTooLarge,
} from '../status';

/** The API server's default request body limit (3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** Past this, an oversized body is no longer drained but the connection dropped. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * Reads a request body up to `limit` bytes. An oversized body is drained (so the client can read the
 * 413 instead of a reset) up to a hard cap, then rejected.
 */
export function readBody(
  req: IncomingMessage,
  limit = MAX_BODY_BYTES,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > MAX_DRAIN_BYTES) {
      reject(requestEntityTooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = declared > limit;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (size > MAX_DRAIN_BYTES) {
        req.destroy();
        reject(requestEntityTooLarge(limit));
        return;
      }
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) reject(requestEntityTooLarge(limit));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

export function parseJson(body: Buffer): unknown {
  if (body.length === 0) {
    throw badRequest('the request body is empty; an object is required');
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw badRequest(
      `couldn't get version/kind; json parse error: ${
        (error as Error).message
      }`,
    );
  }
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  contentType = 'application/json',
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

export function sendStatus(
  res: ServerResponse,
  error: ApiError | KubeStatus,
): void {
  const status = error instanceof ApiError ? error.toStatus() : error;
  sendJson(res, status.code ?? 200, status);
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  500: 'Internal Server Error',
};

/** The HTTP response for an upgrade that is refused, written straight onto the socket. */
export function rawStatusResponse(error: ApiError): string {
  const body = JSON.stringify(error.toStatus());
  const text = STATUS_TEXT[error.code] ?? 'Error';
  const head = [
    `HTTP/1.1 ${error.code} ${text}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}

export type ResponseShape = 'object' | 'table' | 'partial';

/**
 * Content negotiation on Accept: plain JSON, a meta.k8s.io/v1 Table, or PartialObjectMetadata(List).
 * Ranges are tried in order, like the API server's negotiator.
 */
export function negotiate(accept: string | undefined): ResponseShape {
  if (!accept) return 'object';
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map(p => p.trim());
    const p = Object.fromEntries(
      params.map(x => x.split('=').map(s => s.trim())),
    );
    if (
      type !== 'application/json' &&
      type !== '*/*' &&
      type !== 'application/*'
    )
      continue;
    if (!p.as) return 'object';
    if (p.g !== 'meta.k8s.io' || (p.v !== 'v1' && p.v !== undefined)) continue;
    if (p.as === 'Table') return 'table';
    if (
      p.as === 'PartialObjectMetadata' ||
      p.as === 'PartialObjectMetadataList'
    )
      return 'partial';
  }
  throw notAcceptable();
}
