/** The order of a merged associative list, as structured-merge-diff's `mergingWalker.visitListItems` makes it. */

export interface Step {
  /** Index of the live item, if there is one. */
  readonly l: number | undefined;
  /** Index of the applied item, if there is one. */
  readonly r: number | undefined;
}

/**
 * Applied items come in applied order; live items the applier does not mention keep their place
 * relative to the items around them. So `[a, b]` applied as `[c, a]` becomes `[c, a, b]`.
 */
export function interleave(
  lEls: readonly string[],
  lIndex: ReadonlyMap<string, number>,
  rEls: readonly string[],
  rIndex: ReadonlyMap<string, number>,
): Step[] {
  const shared = rEls.filter((el) => lIndex.has(el));
  let si = 0;
  let nextShared = shared[0];
  const done = new Set<string>();
  const out: Step[] = [];
  let lI = 0;
  let rI = 0;
  while (lI < lEls.length || rI < rEls.length) {
    const lEl = lEls[lI];
    const rEl = rEls[rI];
    if (lEl !== undefined && rEl !== undefined) {
      if (lEl === rEl) {
        out.push({ l: lI, r: rI });
        done.add(lEl);
        lI++;
        rI++;
        nextShared = shared[++si];
        continue;
      }
      // A shared item that is not due yet: it is emitted where the applied order puts it.
      if (rIndex.has(lEl) && nextShared !== undefined && nextShared !== lEl) {
        lI++;
        continue;
      }
    }
    if (lEl !== undefined) {
      if (!rIndex.has(lEl)) {
        out.push({ l: lI, r: undefined });
        lI++;
        continue;
      }
      if (done.has(lEl)) {
        lI++;
        continue;
      }
    }
    if (rEl !== undefined) {
      out.push({ l: lIndex.get(rEl), r: rI });
      done.add(rEl);
      rI++;
      if (nextShared === rEl) nextShared = shared[++si];
    }
  }
  return out;
}
