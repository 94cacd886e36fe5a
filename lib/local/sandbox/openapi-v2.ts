import type { IncomingMessage, ServerResponse } from 'node:http';
import { SERVER_VERSION } from './discovery';

/**
 * `/openapi/v2`, with no definitions. kubectl falls back to it for client-side validation of a
 * kind the server's OpenAPI v3 does not know (a custom resource whose CRD is in the same file and
 * not yet created); a kind the document does not define is not validated, so kubectl goes on to
 * fail such an object with "no matches for kind ... ensure CRDs are installed first", as against
 * a real API server. Without the endpoint kubectl fails the whole file with a 404 message instead.
 */
const PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

const TITLE = 'Kubernetes';
const VERSION = `v${SERVER_VERSION.major}.${SERVER_VERSION.minor}.0`;

/** A length-delimited protobuf field (wire type 2) holding `bytes`. */
function field(number: number, bytes: Buffer): Buffer {
  const header = [(number << 3) | 2];
  let n = bytes.length;
  const length: number[] = [];
  do {
    const low = n & 0x7f;
    n >>>= 7;
    length.push(n > 0 ? low | 0x80 : low);
  } while (n > 0);
  return Buffer.concat([Buffer.from(header), Buffer.from(length), bytes]);
}

/** gnostic's openapi_v2.Document: swagger = 1, info = 2 (Info: title = 1, version = 2). */
function protobufDocument(): Buffer {
  const info = Buffer.concat([field(1, Buffer.from(TITLE)), field(2, Buffer.from(VERSION))]);
  return Buffer.concat([field(1, Buffer.from('2.0')), field(2, info)]);
}

export function sendOpenApiV2(req: IncomingMessage, res: ServerResponse): void {
  const accept = req.headers.accept ?? '';
  const body = accept.includes(PROTOBUF)
    ? protobufDocument()
    : Buffer.from(
        JSON.stringify({
          swagger: '2.0',
          info: { title: TITLE, version: VERSION },
          paths: {},
          definitions: {},
        }),
      );
  res.writeHead(200, {
    // kube-openapi's handler serves the protobuf document as octet-stream.
    'Content-Type': accept.includes(PROTOBUF) ? 'application/octet-stream' : 'application/json',
    'Content-Length': body.length,
  });
  res.end(body);
}
