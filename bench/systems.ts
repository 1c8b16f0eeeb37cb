import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface System {
  name: string;
  port: number;
  child: ChildProcess;
  /** SQL statements sent so far, if the system can tell. */
  statements(): Promise<number | undefined>;
  /** Peak resident memory of the process since it started or since resetPeakMemory, in MiB. */
  peakMemoryMiB(): number;
  /** Starts the peak over from the current resident memory (Linux: clear_refs 5). */
  resetPeakMemory(): void;
  stop(): Promise<void>;
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

async function waitForPort(port: number, path: string, child: ChildProcess, output: () => string) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server on ${port} exited:\n${output()}`);
    try {
      await fetch(`http://127.0.0.1:${port}${path}`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`server on ${port} did not start:\n${output()}`);
}

export async function start(
  name: string,
  command: string[],
  env: Record<string, string>,
  port: number,
  statements: (port: number) => Promise<number | undefined>,
): Promise<System> {
  // Every system runs as it would in production: graphql-js, Grafast and PostGraphile all skip
  // development-time checks then.
  const [executable, ...args] = command;
  const child = spawn(executable!, args, {
    env: { ...process.env, NODE_ENV: "production", ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  await waitForPort(port, "/health", child, () => output);
  return {
    name,
    port,
    child,
    statements: () => statements(port),
    peakMemoryMiB: () => peakRss(child.pid!),
    resetPeakMemory: () => writeFileSync(`/proc/${child.pid}/clear_refs`, "5"),
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("close", r));
    },
  };
}

export const statsEndpoint = async (port: number) =>
  ((await (await fetch(`http://127.0.0.1:${port}/__stats`)).json()) as { statements: number }).statements;

/**
 * participant-graph on PostgreSQL (a URL) or on the embedded database (a folder), started as its
 * users start it: the executable, with the Node options its first line gives.
 */
export function startOurs(
  database: string,
  port: number,
  poolSize: number,
  { name = "participant-graph", env = {} as Record<string, string>, bin = here("../bin/participant-graph.js") } = {},
) {
  return start(
    name,
    [bin, "serve"],
    {
      ...(database.startsWith("postgres") ? { DATABASE_URL: database } : { DATABASE_URL: "", DATA_DIR: database }),
      LOG_LEVEL: "warn",
      SEED_DEMO: "false",
      DATABASE_POOL_SIZE: String(poolSize),
      HOST: "127.0.0.1",
      // The load generator is one client sending thousands of requests a minute.
      RATE_LIMIT_PER_MINUTE: "100000000",
      ...env,
    },
    port,
    async () => undefined,
  );
}

export function startPostGraphile(databaseUrl: string, port: number, poolSize: number) {
  return start("PostGraphile 5", [process.execPath, here("postgraphile-server.mjs")], { DATABASE_URL: databaseUrl, POOL_SIZE: String(poolSize) }, port, statsEndpoint);
}

/** The floor's writes name the same workspace and writer as participant-graph's. */
export function startRaw(databaseUrl: string, port: number, poolSize: number, workspaceId: string, actorId: string) {
  return start(
    "raw pg floor",
    [process.execPath, here("raw-server.mjs")],
    { DATABASE_URL: databaseUrl, POOL_SIZE: String(poolSize), BENCH_WORKSPACE_ID: workspaceId, BENCH_ACTOR_ID: actorId },
    port,
    statsEndpoint,
  );
}
