import { pino, type Logger } from "pino";
import type { Config } from "./config.js";

export type { Logger };

export function createLogger(config: Pick<Config, "logLevel">): Logger {
  return pino({
    level: config.logLevel,
    base: { service: "participant-graph" },
    // Never log a key, whichever header it came in.
    redact: ["req.headers.authorization", 'req.headers["x-api-key"]'],
  });
}
