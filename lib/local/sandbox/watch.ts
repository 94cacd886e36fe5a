import type { ServerResponse } from 'node:http';
import type { ApiCore } from './core';
import { ApiStatusError, badRequest } from './errors';
import { metaOf } from './objects';
import type { ResourceRequest } from './operations/request';
import type { Obj } from './schema';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors';
import type { StoreEvent } from './store';

const DEFAULT_TIMEOUT_SECONDS = 1800;

/**
 * Streams watch events as newline-delimited JSON, as the real API server does over HTTP/1.1:
 * from `resourceVersion` (replayed from history, 410 when too old), or, without one, the
 * current objects as ADDED first. Ends at `timeoutSeconds`, when the client goes, or on `stop`.
 */
export function serveWatch(
  core: ApiCore,
  request: ResourceRequest,
  res: ServerResponse,
  stop: AbortSignal,
): void {
  const { rt, query } = request;
  const labels = parseLabelSelector(query.get('labelSelector') ?? '');
  const fields = parseFieldSelector(query.get('fieldSelector') ?? '');
  const resource = core.resourceKey(rt);
  const namespace = rt.namespaced && request.namespace ? request.namespace : undefined;
  const timeoutParam = query.get('timeoutSeconds');
  const timeoutSeconds = timeoutParam ? Number.parseInt(timeoutParam, 10) : DEFAULT_TIMEOUT_SECONDS;
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 0)
    throw badRequest(`invalid timeoutSeconds "${timeoutParam}"`);
  const rvParam = query.get('resourceVersion');

  const matches = (object: Obj | undefined): boolean =>
    object !== undefined &&
    (namespace === undefined || metaOf(object).namespace === namespace) &&
    matchesLabels(labels, metaOf(object).labels as Record<string, string> | undefined) &&
    matchesFields(fields, object);

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  // Clients wait for the headers before they consider the watch established.
  res.flushHeaders();
  const send = (type: string, object: Obj): void => {
    res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const deliver = (event: StoreEvent): void => {
    if (event.resource !== resource) return;
    const now = matches(event.object);
    const before = matches(event.previous);
    if (event.type === 'DELETED') {
      if (before || now) send('DELETED', core.asVersion(rt, event.object));
    } else if (now)
      send(event.type === 'MODIFIED' && !before ? 'ADDED' : event.type, core.asVersion(rt, event.object));
    else if (before) send('DELETED', core.asVersion(rt, event.object));
  };

  if (!rvParam || rvParam === '0') {
    for (const object of core.store.list(resource, namespace))
      if (matches(object)) send('ADDED', core.asVersion(rt, object));
  } else {
    const from = Number.parseInt(rvParam, 10);
    const replay = Number.isFinite(from) ? core.store.since(from) : undefined;
    if (!replay) {
      const gone = new ApiStatusError(
        'Expired',
        `too old resource version: ${rvParam} (${core.store.oldestWatchable})`,
      );
      send('ERROR', gone.toStatus());
      res.end();
      return;
    }
    for (const event of replay) deliver(event);
  }

  const finish = (): void => {
    core.store.events.off('event', deliver);
    clearTimeout(timer);
    stop.removeEventListener('abort', finish);
    if (!res.writableEnded) res.end();
  };
  const timer = setTimeout(finish, timeoutSeconds * 1000);
  timer.unref();
  core.store.events.on('event', deliver);
  stop.addEventListener('abort', finish);
  res.on('close', finish);
}
