/**
 * A `fetch` that lines two runs of one payout up for the worst interleaving of look-up-then-create: a create
 * waits until a second look-up has been answered (or `waitMs` passed, when only one run ever looks), and
 * between the first create's answer and the second create `between()` runs (a test moves the simulator's
 * clock past the 24 h key window there, so the key no longer stops the second create). Requests go to the
 * real simulator unchanged; only their timing is arranged.
 */
export interface RacingFetch {
  readonly fetch: typeof fetch;
  /** Look-ups answered (a run without the lease still looks). */
  lookups(): number;
  /** Creates sent to the provider. */
  creates(): number;
}

export function racingFetch(options: {
  /** `GET /v1/transfers` and the like: the look-up. */
  readonly isLookup: (method: string, path: string) => boolean;
  /** `POST /v1/transfers` and the like: the create. */
  readonly isCreate: (method: string, path: string) => boolean;
  readonly between: () => void;
  readonly waitMs?: number;
}): RacingFetch {
  let lookups = 0;
  let creates = 0;
  let secondLookup: () => void = () => undefined;
  const bothLookedUp = new Promise<void>((resolve) => {
    secondLookup = resolve;
  });
  let firstCreated: () => void = () => undefined;
  const firstDone = new Promise<void>((resolve) => {
    firstCreated = resolve;
  });
  const gated = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    if (options.isLookup(method, url.pathname)) {
      const response = await fetch(input, init);
      lookups++;
      if (lookups >= 2) secondLookup();
      return response;
    }
    if (options.isCreate(method, url.pathname)) {
      await Promise.race([bothLookedUp, new Promise((r) => setTimeout(r, options.waitMs ?? 1_500))]);
      creates++;
      if (creates === 1) {
        try {
          return await fetch(input, init);
        } finally {
          options.between();
          firstCreated();
        }
      }
      await firstDone;
      return fetch(input, init);
    }
    return fetch(input, init);
  };
  return { fetch: gated as typeof fetch, lookups: () => lookups, creates: () => creates };
}
