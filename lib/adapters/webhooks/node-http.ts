import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_MAX_BODY_BYTES, type WebhookRequest, type WebhookResult } from '../../core/webhooks';
import { responseBody } from './response';

export type NodeBodyRead =
  | { ok: true; request: WebhookRequest }
  /** Too large (413) or cut off (400); `bytesRead` is how much was read before stopping. */
  | { ok: false; status: 400 | 413; reason: string; bytesRead: number };

/**
 * Reads a request body up to `maxBodyBytes`. A `Content-Length` over the cap is refused before
 * reading anything; a body that grows past it while streaming stops being read there: the chunks
 * are dropped, the stream is paused and the rest is never buffered. Answer with writeNodeResponse,
 * which closes the connection so that Node does not drain the unread rest.
 */
export function fromNodeRequest(
  req: IncomingMessage,
  options: { maxBodyBytes?: number } = {},
): Promise<NodeBodyRead> {
  const max = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const tooLarge = (bytesRead: number): NodeBodyRead => ({
    ok: false,
    status: 413,
    reason: `body larger than ${max} bytes`,
    bytesRead,
  });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve(tooLarge(0));

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: NodeBodyRead): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        chunks.length = 0;
        req.pause();
        finish(tooLarge(size));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void =>
      finish({ ok: true, request: { headers: req.headers, body: Buffer.concat(chunks, size) } });
    const onAbort = (): void =>
      finish({ ok: false, status: 400, reason: 'request body cut off', bytesRead: size });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onAbort);
  });
}

/** Writes a result as JSON; a body not read to its end (413, cut off) closes the connection rather than draining it. */
export function writeNodeResponse(
  res: ServerResponse,
  result: WebhookResult | Extract<NodeBodyRead, { ok: false }>,
  extra: Record<string, unknown> = {},
): void {
  const body =
    'ok' in result
      ? { status: result.status, kind: 'rejected', reason: result.reason }
      : responseBody(result, extra);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if ('ok' in result || result.status === 413) headers.connection = 'close';
  res.writeHead(result.status, headers);
  res.end(JSON.stringify(body));
}
