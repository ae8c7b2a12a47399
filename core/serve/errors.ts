import { GitmlError } from '../errors.js';

/** A request the server refuses: the HTTP status and the message each protocol wraps in its own error shape. */
export class RequestError extends GitmlError {
  constructor(
    readonly status: 400 | 404 | 405 | 413 | 415 | 503,
    message: string,
  ) {
    super('E_SERVE_REQUEST', message, { data: { status } });
  }
}

export const badRequest = (message: string): RequestError => new RequestError(400, message);
export const notFound = (message: string): RequestError => new RequestError(404, message);
