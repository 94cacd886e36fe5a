/** Request counts by verb and by resource (`group/plural`, '' group for core), for tests and benchmarks. */
export interface SandboxStats {
  readonly total: number;
  readonly byVerb: Record<string, number>;
  readonly byResource: Record<string, Record<string, number>>;
  /** CPU time of the sandbox's process since the last reset (exact when it runs alone, as `plumbline sandbox`). */
  readonly processCpuMs: number;
}

export class StatsRecorder {
  private total = 0;
  private byVerb = new Map<string, number>();
  private byResource = new Map<string, Map<string, number>>();
  private cpuStart = process.cpuUsage();

  record(verb: string, resource: string | undefined): void {
    this.total += 1;
    this.byVerb.set(verb, (this.byVerb.get(verb) ?? 0) + 1);
    if (resource === undefined) return;
    let verbs = this.byResource.get(resource);
    if (!verbs) {
      verbs = new Map();
      this.byResource.set(resource, verbs);
    }
    verbs.set(verb, (verbs.get(verb) ?? 0) + 1);
  }

  reset(): void {
    this.total = 0;
    this.byVerb = new Map();
    this.byResource = new Map();
    this.cpuStart = process.cpuUsage();
  }

  snapshot(): SandboxStats {
    const byResource: Record<string, Record<string, number>> = {};
    for (const [resource, verbs] of this.byResource) byResource[resource] = Object.fromEntries(verbs);
    const cpu = process.cpuUsage(this.cpuStart);
    return {
      total: this.total,
      byVerb: Object.fromEntries(this.byVerb),
      byResource,
      processCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    };
  }
}
