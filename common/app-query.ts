// The app's in-process abci_query as a plain function of a path: what the node's bridge and its REST
// gateway read committed state through (tests pass a fake of the same shape).
export interface QueryAnswer {
  code: number;
  value: Uint8Array;
  log?: string;
  /** The committed height the answer reflects. */
  height?: bigint;
}

export type QueryFn = (path: string) => Promise<QueryAnswer>;

interface Queryable {
  query(req: { path: string; data: Uint8Array; height: bigint; prove: boolean }): Promise<{ code?: number; value?: unknown; log?: string; height?: bigint }>;
}

/** Latest committed height, no proof. */
export function appQuery(app: Queryable): QueryFn {
  return async (path) => {
    const r = await app.query({ path, data: new Uint8Array(), height: 0n, prove: false });
    return { code: r.code ?? 0, value: r.value instanceof Uint8Array ? r.value : new Uint8Array(), log: r.log, height: r.height };
  };
}
