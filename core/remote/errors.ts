import { GitmlError } from '../errors.js';

/** `-r NAME` (or `default_remote`) names no configured remote. */
export class UnknownRemoteError extends GitmlError {
  constructor(name: string, suggestion: string | undefined, known: string[]) {
    const hint = suggestion
      ? `; did you mean \`${suggestion}\`?`
      : known.length
        ? `; the remotes are ${known.join(', ')}`
        : '; none is configured (add one with `gitml remote add NAME URL`)';
    super('E_UNKNOWN_REMOTE', `unknown remote \`${name}\`${hint}`, { data: { name } });
  }
}

/** No `-r NAME` was given and no default remote is set. */
export class NoDefaultRemoteError extends GitmlError {
  constructor(known: string[]) {
    const hint = known.length
      ? `name one with -r (${known.join(', ')}) or set a default: \`gitml remote add --default NAME URL\`, or \`default_remote: NAME\` in .ml/config.yaml`
      : 'add one with `gitml remote add --default NAME URL`';
    super('E_NO_REMOTE', `no remote given and no default remote set; ${hint}`, { data: { known } });
  }
}

/** The remote cannot be used at all: a missing directory, a missing bucket, refused credentials, no connection. */
export class RemoteUnreachableError extends GitmlError {
  constructor(remote: { name: string; url: string }, reason: string, cause?: unknown) {
    super('E_REMOTE_UNREACHABLE', `remote \`${remote.name}\` (${remote.url}): ${reason}`, {
      data: { remote: remote.name, url: remote.url, reason },
      cause,
      exitCode: 1,
    });
  }
}

/** Some objects could not be moved; each was reported on its own, the others were moved. */
export class TransferIncompleteError extends GitmlError {
  constructor(verb: 'pushed' | 'fetched' | 'restored', count: number, what = 'object') {
    super('E_TRANSFER_INCOMPLETE', `${count} ${what}${count === 1 ? '' : 's'} could not be ${verb}`, { data: { count }, exitCode: 1 });
  }
}

/** Ctrl-C or SIGTERM during a transfer: what finished is kept, nothing partial is left. */
export class TransferInterruptedError extends GitmlError {
  constructor(signal: 'SIGINT' | 'SIGTERM') {
    super('E_INTERRUPTED', `interrupted by ${signal}; objects that finished moving are kept, no partial object is left`, {
      data: { signal },
      exitCode: signal === 'SIGINT' ? 130 : 143,
    });
  }
}
