import type { Response } from 'superagent';

/**
 * A supertest parser that keeps a response body as text, whatever its content type (an asciicast
 * is `application/x-asciicast`): `.buffer(true).parse(textBody)`.
 */
export function textBody(
  res: Response,
  done: (error: Error | null, body: any) => void,
) {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => (body += chunk));
  res.on('end', () => done(null, body));
}
