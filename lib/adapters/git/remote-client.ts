import * as fs from 'node:fs';
import * as git from 'isomorphic-git';
import type { Redactor } from '../../core/redact';
import { type ExternalObject, shallowFetch } from './clone';
import {
  authorizationHeader,
  credentialRedactor,
  type GitCredential,
  type GitCredentials,
} from './credentials';
import { GitSourceError } from './errors';
import { type HttpStats, meteredHttp } from './http';
import { candidateRefs, kindOf, sourceError } from './remote';

/** A ref as the server advertises it. */
export interface Lookup {
  readonly fullref: string;
  /** What the ref points to (a tag object for an annotated tag). */
  readonly oid: string;
  /** The commit: the oid, peeled. */
  readonly commit: string;
  readonly capabilities: Record<string, string | true>;
}

interface Auth {
  readonly headers: Record<string, string>;
  readonly redactor: Redactor;
  readonly hasCredentials: boolean;
}

/**
 * The server side of a GitSource: credentials (fetched once, sent up front), the ref advertisement,
 * and the two kinds of fetch. Every failure leaves as a GitSourceError with secrets masked.
 */
export class RemoteClient {
  readonly stats: HttpStats = { requests: 0, bytesReceived: 0 };
  private readonly http: ReturnType<typeof meteredHttp>;
  private auth: Promise<Auth> | undefined;

  constructor(
    readonly url: string,
    private readonly source: GitCredentials | undefined,
    limits: { maxResponseBytes: number; timeoutMs: number },
  ) {
    this.http = meteredHttp(this.stats, limits);
  }

  /** The ref from the advertisement: protocol v1 lists every ref in one request (v2 needs two). */
  async lookup(ref: string): Promise<Lookup> {
    const auth = await this.credentials();
    let info: git.GetRemoteInfo2Result;
    try {
      info = await git.getRemoteInfo2({
        http: this.http.client,
        url: this.url,
        headers: auth.headers,
        protocolVersion: 1,
      });
    } catch (err: unknown) {
      throw sourceError(err, this.url, 'cannot list the refs of', auth.redactor, auth.hasCredentials);
    }
    const byName = new Map((info.refs ?? []).map((r) => [r.ref, r]));
    for (const candidate of candidateRefs(ref)) {
      let found = byName.get(candidate);
      if (candidate === 'HEAD' && found?.target !== undefined) found = byName.get(found.target);
      if (found) {
        return {
          fullref: found.ref,
          oid: found.oid,
          commit: found.peeled ?? found.oid,
          capabilities: info.capabilities,
        };
      }
    }
    throw new GitSourceError(
      `${kindOf(candidateRefs(ref)[0]!)} does not exist in ${this.url}`,
      'ref-not-found',
    );
  }

  /** A ref never fetched into this cache: depth 1, one request, a native index (clone.ts). */
  async shallow(found: Lookup, gitdir: string, external: ExternalObject): Promise<void> {
    const auth = await this.credentials();
    try {
      await shallowFetch(
        {
          http: this.http.client,
          url: this.url,
          headers: auth.headers,
          gitdir,
          want: found.oid,
          capabilities: found.capabilities,
        },
        external,
      );
    } catch (err: unknown) {
      throw sourceError(
        err,
        this.url,
        `cannot fetch ${kindOf(found.fullref)} of`,
        auth.redactor,
        auth.hasCredentials,
      );
    }
  }

  /**
   * isomorphic-git's fetch of one ref, no tags (discovery and upload-pack, two requests): incremental
   * fetches from the cached tip, and deepening. Returns the fetched tip.
   */
  async fetch(
    gitdir: string,
    cache: object,
    fullref: string,
    depth: number,
    relative: boolean,
  ): Promise<string | undefined> {
    const auth = await this.credentials();
    try {
      const result = await git.fetch({
        fs,
        http: this.http.client,
        gitdir,
        url: this.url,
        // The local copy of the ref names the commits we have, so only new objects come down.
        ref: fullref,
        remoteRef: fullref,
        singleBranch: true,
        tags: false,
        depth,
        relative,
        headers: auth.headers,
        cache,
      });
      return result.fetchHead ?? undefined;
    } catch (err: unknown) {
      throw sourceError(
        err,
        this.url,
        `cannot fetch ${kindOf(fullref)} of`,
        auth.redactor,
        auth.hasCredentials,
      );
    }
  }

  /** Closes kept-alive connections. */
  close(): void {
    this.http.close();
  }

  private credentials(): Promise<Auth> {
    if (this.auth === undefined) {
      const auth = (async (): Promise<Auth> => {
        let credential: GitCredential | undefined;
        try {
          credential = await this.source?.forUrl(this.url);
        } catch (err: unknown) {
          throw new GitSourceError(`cannot get the credentials for ${this.url}`, 'auth', { cause: err });
        }
        const headers: Record<string, string> = {};
        if (credential) headers.Authorization = authorizationHeader(credential);
        return {
          headers,
          redactor: credentialRedactor(credential),
          hasCredentials: credential !== undefined,
        };
      })();
      // A failed lookup of the credentials is tried again next time, not cached.
      auth.catch(() => {
        if (this.auth === auth) this.auth = undefined;
      });
      this.auth = auth;
    }
    return this.auth;
  }
}
