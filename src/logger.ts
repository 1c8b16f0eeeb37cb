import { pino, type Logger } from "pino";
import pretty from "pino-pretty";
import type { Config } from "./config.js";

export type { Logger };

/**
 * JSON lines for log collectors; readable lines when a person watches a terminal. `LOG_FORMAT`
 * (`json` or `pretty`) overrides the guess.
 */
export function createLogger(
  config: Pick<Config, "logLevel"> & Partial<Pick<Config, "logFormat">>,
  stdout: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout,
): Logger {
  const format = config.logFormat ?? (stdout.isTTY ? "pretty" : "json");
  const options = {
    level: config.logLevel,
    base: { service: "participant-graph" },
    // Never log a key, whichever header it came in.
    redact: ["req.headers.authorization", 'req.headers["x-api-key"]'],
  };
  // In-thread and synchronous, so that a line is out before the process exits.
  return pino(options, format === "pretty" ? pretty({ destination: stdout, sync: true, ignore: "pid,hostname,service", translateTime: "SYS:HH:MM:ss.l" }) : stdout);
}
