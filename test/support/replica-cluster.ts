import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, appendFileSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BIN = "/usr/lib/postgresql/15/bin";

/** PostgreSQL refuses to run as root, so its binaries run as `postgres`: possible only as root. */
export const canStartCluster = existsSync(`${BIN}/initdb`) && process.getuid?.() === 0;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const asPostgres = (command: string, ...args: string[]) => execFileSync("runuser", ["-u", "postgres", "--", `${BIN}/${command}`, ...args], { stdio: "pipe" });

/** One server of the pair, with every statement it runs written to its log. */
export interface ClusterServer {
  url: string;
  /** The statements this server has logged since the last call (or since start). */
  statementsSince(): string[];
}

/**
 * A primary and a streaming replica of the test's own, on two free ports: the machine's own
 * PostgreSQL allows no replication connections. Every statement is logged, so that a test can
 * tell which server ran what.
 */
export async function startReplicaCluster(): Promise<{ primary: ClusterServer; replica: ClusterServer; stopReplica(): void; stop(): void }> {
  const dir = mkdtempSync(join(tmpdir(), "pg-replica-"));
  chownSync(dir, statSync("/var/lib/postgresql").uid, statSync("/var/lib/postgresql").gid);
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  asPostgres("initdb", "-D", `${dir}/primary`, "-A", "trust", "-U", "postgres");
  appendFileSync(`${dir}/primary/pg_hba.conf`, "host replication all 127.0.0.1/32 trust\n");
  const options = (port: number) => `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c log_statement=all -c fsync=off`;
  asPostgres("pg_ctl", "-D", `${dir}/primary`, "-o", options(primaryPort), "-l", `${dir}/primary.log`, "-w", "start");
  asPostgres("pg_basebackup", "-h", "127.0.0.1", "-p", String(primaryPort), "-U", "postgres", "-D", `${dir}/replica`, "-R");
  asPostgres("pg_ctl", "-D", `${dir}/replica`, "-o", options(replicaPort), "-l", `${dir}/replica.log`, "-w", "start");
  const server = (port: number, log: string): ClusterServer => {
    let offset = 0;
    return {
      url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
      statementsSince() {
        const text = readFileSync(log, "utf8");
        const fresh = text.slice(offset);
        offset = text.length;
        // An entry runs from its timestamp to the next one: a statement's text spans lines. The
        // server's health check of each replica (Database.ping, every 2 s) is no request's.
        return fresh
          .split(/\n(?=\d{4}-\d\d-\d\d )/)
          .filter((entry) => /^\S+ \S+ \S+ \[\d+\] LOG:\s+(statement|execute)\b/.test(entry) && !/LOG:\s+statement: SELECT 1\s*$/.test(entry));
      },
    };
  };
  return {
    primary: server(primaryPort, `${dir}/primary.log`),
    replica: server(replicaPort, `${dir}/replica.log`),
    stopReplica() {
      asPostgres("pg_ctl", "-D", `${dir}/replica`, "-m", "immediate", "-w", "stop");
    },
    stop() {
      for (const node of ["replica", "primary"]) {
        try {
          asPostgres("pg_ctl", "-D", `${dir}/${node}`, "-m", "immediate", "-w", "stop");
        } catch {
          // already stopped
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
