// What every benchmark here shares: one load run with autocannon, and medians with their range.
import autocannon from "autocannon";

export interface Load {
  path: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  /** The body of the i-th request of a run. */
  body?: (i: number) => string;
}

export interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** `seconds` of requests at `connections` in flight, against a server on this machine. */
export async function drive(port: number, load: Load, connections: number, seconds: number): Promise<Figures> {
  let i = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests: [
      {
        method: load.method ?? "POST",
        path: load.path,
        headers: { "content-type": "application/json", ...load.headers },
        setupRequest: (req: Record<string, unknown>) => (load.body ? { ...req, body: load.body(i++) } : req),
      },
    ],
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

/** The first request of a load, sent once. */
export const send = (port: number, load: Load) =>
  fetch(`http://127.0.0.1:${port}${load.path}`, { method: load.method ?? "POST", headers: { "content-type": "application/json", ...load.headers }, body: load.body?.(0) });

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** "median (min–max)". */
export const range = (xs: number[], digits = 0) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
