import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface System {
  name: string;
  port: number;
  child: ChildProcess;
  /** SQL statements sent so far, if the system can tell. */
  statements(): Promise<number | undefined>;
  /** Peak resident memory of the process, in MiB. */
  peakMemoryMiB(): number;
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
  const child = spawn(process.execPath, command, {
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
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("close", r));
    },
  };
}

export const statsEndpoint = async (port: number) =>
  ((await (await fetch(`http://127.0.0.1:${port}/__stats`)).json()) as { statements: number }).statements;

export function startOurs(databaseUrl: string, port: number, poolSize: number) {
  return start(
    "participant-graph",
    [here("../bin/participant-graph.js"), "serve"],
    {
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: "warn",
      SEED_DEMO: "false",
      DATABASE_POOL_SIZE: String(poolSize),
      HOST: "127.0.0.1",
      // SQL statements per request, for the report.
      SQL_STATEMENTS_HEADER: "true",
      // The load generator is one client sending thousands of requests a minute.
      RATE_LIMIT_PER_MINUTE: "100000000",
    },
    port,
    async () => undefined,
  );
}

export function startPostGraphile(databaseUrl: string, port: number, poolSize: number) {
  return start("PostGraphile 5", [here("postgraphile-server.mjs")], { DATABASE_URL: databaseUrl, POOL_SIZE: String(poolSize) }, port, statsEndpoint);
}

export function startRaw(databaseUrl: string, port: number, poolSize: number) {
  return start("raw pg floor", [here("raw-server.mjs")], { DATABASE_URL: databaseUrl, POOL_SIZE: String(poolSize) }, port, statsEndpoint);
}
