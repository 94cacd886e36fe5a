import type { KubeObject } from '../manifests/object';

/** Bounds on what one render may load; every renderer enforces them before the bytes reach memory. */
export interface RenderLimits {
  /** Largest single file read, checked with stat before reading. */
  maxFileBytes: number;
  /** Largest sum of the files read for one app. */
  maxTotalBytes: number;
  /** Most YAML documents (List items counted one each) in one app. */
  maxDocuments: number;
  /** The yaml package's alias budget: stops "billion laughs" expansion. */
  maxAliasCount: number;
  /** Deepest nesting of mappings and sequences in one document. */
  maxDepth: number;
  /** Wall-clock limit of one renderer process (kustomize, helm); killed when over (default 60 s). */
  maxRenderMs?: number;
  /** Most bytes a renderer process may write to stdout; killed when over (default 20 MiB). */
  maxOutputBytes?: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = {
  // Real bundles are large: argo-rollouts' install.yaml is 3 MB, kube-prometheus-stack's CRDs near 4 MB.
  maxFileBytes: 8 * 1024 * 1024,
  maxTotalBytes: 50 * 1024 * 1024,
  maxDocuments: 10_000,
  maxAliasCount: 100,
  maxDepth: 64,
  maxRenderMs: 60_000,
  maxOutputBytes: 20 * 1024 * 1024,
};

export interface RenderInput {
  /** The checked-out repository; nothing outside it may be read. */
  repoRoot: string;
  /** The app directory, relative to repoRoot or absolute inside it. */
  appPath: string;
  limits: RenderLimits;
}

export interface RenderedManifest {
  object: KubeObject;
  source: {
    /** Relative to the repository root, '/'-separated. */
    file: string;
    /** 1-based position of the YAML document in the file (a List's items share its number). */
    document: number;
  };
}

export interface RenderResult {
  /** The renderer's name, recorded in the audit trail. */
  renderer: string;
  manifests: RenderedManifest[];
  /** The files read, relative to the repository root, in the order read. */
  files: string[];
  /** What the render left out or found on its own, one line each, for the user to see (`note: …`). */
  notes?: string[];
}

/** Turns an app directory into manifests: plain YAML, kustomize and helm adapters implement it. */
export interface Renderer {
  readonly name: string;
  render(input: RenderInput): Promise<RenderResult>;
}
