import { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from './metric-names';

/**
 * X-Ray through Powertools Tracer: a subsegment per invocation with the correlation keys as
 * annotations, and the AWS SDK clients the functions build. HTTPS calls are not captured one by one:
 * a sync of 1,000 objects would make 1,000 subsegments of requests to the cluster. Off outside
 * Lambda (tests, `plumbline local`) and with POWERTOOLS_TRACE_ENABLED=false.
 */
export const tracer = new Tracer({ serviceName: SERVICE_NAME, captureHTTPsRequests: false });

/** An AWS SDK v3 client whose calls appear as subsegments when tracing is on. */
export function traced<T>(client: T): T {
  return tracer.isTracingEnabled() ? tracer.captureAWSv3Client(client) : client;
}

/** Annotations on the invocation's subsegment, searchable in X-Ray (`annotation.app = "web"`); undefined values skipped. */
export function annotate(keys: Readonly<Record<string, string | undefined>>): void {
  if (!tracer.isTracingEnabled()) return;
  for (const [key, value] of Object.entries(keys)) if (value !== undefined) tracer.putAnnotation(key, value);
}

/**
 * Runs one invocation in a subsegment `## <name>` of the segment Lambda opened, annotated with the
 * cold start and the service; an error is recorded on it and rethrown.
 */
export async function traceInvocation<T>(name: string, run: () => Promise<T>): Promise<T> {
  if (!tracer.isTracingEnabled()) return run();
  const segment = tracer.getSegment();
  const subsegment = segment?.addNewSubsegment(`## ${name}`);
  if (subsegment) tracer.setSegment(subsegment);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  try {
    return await run();
  } catch (err: unknown) {
    if (err instanceof Error) tracer.addErrorAsMetadata(err);
    throw err;
  } finally {
    subsegment?.close();
    if (segment) tracer.setSegment(segment);
  }
}
