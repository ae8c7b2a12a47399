import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import type { ResolvedRemote } from '../config.js';
import { RemoteUnreachableError } from './errors.js';
import type { RemoteStore } from './remote.js';

type S3Module = typeof import('@aws-sdk/client-s3');

/** Checking more keys than this lists the remote instead of asking for each key. */
const LIST_ABOVE = 1000;
/** Keys per listing request (the most S3 returns). */
const PAGE_SIZE = 1000;
/** Files below this size are uploaded from memory; larger ones are streamed from disk. */
const BUFFER_BELOW = 8 << 20;

/** The S3 settings a remote ends up with: its config first, then the usual AWS environment variables. */
export interface S3Settings {
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** Pure: merges a remote's settings with the environment. Without credentials anywhere, the SDK's own chain is used. */
export function s3Settings(remote: ResolvedRemote, env: NodeJS.ProcessEnv): S3Settings {
  const endpoint = remote.endpoint ?? (env.AWS_ENDPOINT_URL_S3 || undefined) ?? (env.AWS_ENDPOINT_URL || undefined);
  const accessKeyId = remote.accessKeyId ?? (env.AWS_ACCESS_KEY_ID || undefined);
  const secretAccessKey = remote.secretAccessKey ?? (env.AWS_SECRET_ACCESS_KEY || undefined);
  // A session token only belongs with the key pair it was issued for.
  const sessionToken = remote.sessionToken ?? (remote.accessKeyId === undefined ? env.AWS_SESSION_TOKEN || undefined : undefined);
  return {
    ...(endpoint ? { endpoint } : {}),
    region: remote.region ?? (env.AWS_REGION || undefined) ?? (env.AWS_DEFAULT_REGION || undefined) ?? 'us-east-1',
    // Custom endpoints (MinIO, s3rver, Ceph) rarely resolve bucket subdomains.
    forcePathStyle: remote.forcePathStyle ?? endpoint !== undefined,
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } } : {}),
  };
}

/** A remote in an S3 bucket (or an S3-compatible store), under a key prefix. */
export class S3Remote implements RemoteStore {
  readonly name: string;
  readonly url: string;
  private readonly limit: ReturnType<typeof pLimit>;

  private constructor(
    remote: ResolvedRemote,
    private readonly sdk: S3Module,
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly settings: S3Settings,
    jobs: number,
    private readonly tuning: { listAbove: number; pageSize: number },
  ) {
    this.name = remote.name;
    this.url = remote.url;
    this.limit = pLimit(jobs);
  }

  /** `listAbove` and `pageSize` tune how existence is checked (defaults: 1000 and 1000). */
  static async create(
    remote: ResolvedRemote,
    location: { bucket: string; prefix: string },
    opts: { jobs: number; env: NodeJS.ProcessEnv; listAbove?: number; pageSize?: number },
  ): Promise<S3Remote> {
    // The SDK warns on every start under Node 20 about its support plans; that is not news for a gitml user.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const sdk = await import('@aws-sdk/client-s3');
    const settings = s3Settings(remote, opts.env);
    const client = new sdk.S3Client({
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
      // Integrity is checked with BLAKE3 on download; extra checksums only trip up S3-compatible servers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return new S3Remote(remote, sdk, client, location.bucket, location.prefix, settings, opts.jobs, {
      listAbove: opts.listAbove ?? LIST_ABOVE,
      pageSize: opts.pageSize ?? PAGE_SIZE,
    });
  }

  private full(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  async check(): Promise<void> {
    try {
      // Listing (rather than HeadBucket) works with permissions granted on the prefix only, and says why it fails.
      await this.client.send(new this.sdk.ListObjectsCommand({ Bucket: this.bucket, Prefix: this.full(''), MaxKeys: 1 }));
    } catch (err) {
      throw this.translate(err, true);
    }
  }

  async has(keys: readonly string[]): Promise<Set<string>> {
    if (keys.length > this.tuning.listAbove) {
      const tops = [...new Set(keys.map((k) => k.slice(0, k.indexOf('/') + 1)))];
      const listed = new Set((await Promise.all(tops.map((t) => this.list(t)))).flat());
      return new Set(keys.filter((k) => listed.has(k)));
    }
    const found = await Promise.all(keys.map((k) => this.limit(() => this.exists(k))));
    return new Set(keys.filter((_, i) => found[i]));
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new this.sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw this.translate(err);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const base = this.full('');
    let marker: string | undefined;
    try {
      // ListObjects (v1) pages by the last key: every S3-compatible server has it, and some (s3rver) cannot make the
      // encrypted continuation tokens of v2 under OpenSSL 3.
      do {
        const page = await this.client.send(
          new this.sdk.ListObjectsCommand({
            Bucket: this.bucket,
            Prefix: this.full(prefix),
            MaxKeys: this.tuning.pageSize,
            ...(marker ? { Marker: marker } : {}),
          }),
        );
        const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
        for (const k of keys) out.push(k.slice(base.length));
        marker = page.IsTruncated ? (page.NextMarker ?? keys.at(-1)) : undefined;
      } while (marker);
    } catch (err) {
      throw this.translate(err);
    }
    return out.sort();
  }

  async get(key: string, dest: string, signal?: AbortSignal): Promise<boolean> {
    try {
      const res = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.full(key) }), { abortSignal: signal });
      await pipeline(res.Body as Readable, createWriteStream(dest), { signal });
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw this.translate(err);
    }
  }

  async put(key: string, src: string | Uint8Array, signal?: AbortSignal): Promise<void> {
    const size = typeof src === 'string' ? statSync(src).size : src.byteLength;
    // PutObject stores the whole body or nothing, so readers never see a partial object.
    const body = typeof src !== 'string' ? src : size < BUFFER_BELOW ? await readFile(src) : createReadStream(src);
    try {
      await this.client.send(new this.sdk.PutObjectCommand({ Bucket: this.bucket, Key: this.full(key), Body: body, ContentLength: size }), {
        abortSignal: signal,
      });
    } catch (err) {
      throw this.translate(err);
    }
  }

  close(): void {
    this.client.destroy();
  }

  /**
   * Turns SDK errors that make the whole remote unusable into one line naming the remote and what to check. Others
   * (one object failing) are returned as they are. With `always`, every error is translated.
   */
  private translate(err: unknown, always = false): unknown {
    const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'AbortError') return err;
    const name = e.name ?? '';
    const status = statusOf(err);
    const where = this.settings.endpoint ?? `AWS S3 (${this.settings.region})`;
    const creds =
      'check access_key_id and secret_access_key (`gitml remote modify --local ' +
      `${this.name} access_key_id ...\`) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`;
    let reason: string | undefined;
    if (name === 'NoSuchBucket') reason = `bucket \`${this.bucket}\` does not exist at ${where}`;
    else if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'TokenRefreshRequired'].includes(name))
      reason = `the credentials were refused (${name}); ${creds}`;
    else if (name === 'AccessDenied' || status === 403) reason = `access denied (${name || 403}); ${creds}, and the bucket's permissions`;
    else if (name === 'CredentialsProviderError' || (/credential/i.test(e.message ?? '') && !status))
      reason = `no credentials found; ${creds}`;
    else if (name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed' || status === 301)
      reason = `the bucket is in another region than ${this.settings.region}; set it with \`gitml remote modify ${this.name} region REGION\``;
    else if (['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', 'EHOSTUNREACH'].includes(e.code ?? name))
      reason = `cannot connect to ${where} (${e.code ?? name})`;
    else if (always) reason = `${name || 'error'}: ${e.message ?? String(err)}`;
    return reason === undefined ? err : new RemoteUnreachableError(this, reason, err);
  }
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
